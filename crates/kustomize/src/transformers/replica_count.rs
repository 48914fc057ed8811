//! `ReplicaCountTransformer`: `replicas:`.
//!
//! Sets the count on every resource whose current or any previous name is the entry's
//! name, at each spec of the `replicas` table that selects its kind; an entry that matches
//! nothing is an error, as upstream makes it.

use kustomize_yaml::Value;

use super::Transformer;
use crate::fieldspec::{Create, FieldSpec};
use crate::kustomization::Replica;
use crate::resmap::ResMap;
use crate::Error;

/// Sets `replicas` on named workloads.
#[derive(Debug, Clone)]
pub struct ReplicaCountTransformer {
    /// Name and count.
    pub replica: Replica,
    /// Where the count goes (the `replicas` table by default).
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for ReplicaCountTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let mut found = false;
        let named = resources.indices_named(&self.replica.name);
        for spec in &self.field_specs {
            for &i in &named {
                let outcome = resources.update_at(i, |r| {
                    let cur = r.cur_id();
                    let matches = |id: &crate::resid::ResId| {
                        id.name == self.replica.name && id.gvk.is_selected_by(&spec.gvk)
                    };
                    if !matches(&cur) && !r.prev_ids().any(|id| matches(&id)) {
                        return Ok(false);
                    }
                    let count = Value::Int(self.replica.count);
                    spec.apply(r.value_mut(), &cur.gvk, Some(Create::Scalar), &mut |node| {
                        *node = match node {
                            // Upstream sets an int node in the old node's style: over a
                            // quoted one it prints as a string.
                            Value::String(s) if s.has_quotes() => {
                                let mut s = s.clone();
                                s.set(&self.replica.count.to_string());
                                Value::String(s.styled(true))
                            }
                            _ => count.clone(),
                        };
                        Ok(())
                    })
                    .map(|()| true)
                });
                match outcome {
                    Some(Ok(true)) => found = true,
                    Some(Err(message)) => {
                        return Err(Error::Transform {
                            transformer: "ReplicaCountTransformer",
                            message,
                        })
                    }
                    _ => {}
                }
            }
        }
        if found {
            return Ok(());
        }
        let gvks: Vec<String> = self.field_specs.iter().map(|f| f.gvk.to_string()).collect();
        Err(Error::Transform {
            transformer: "ReplicaCountTransformer",
            message: format!(
                "resource with name {} does not match a config with the following GVK [{}]",
                self.replica.name,
                gvks.join(" ")
            ),
        })
    }
}
