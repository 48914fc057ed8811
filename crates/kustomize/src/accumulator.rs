//! The [`Accumulator`]: what a kustomization has gathered while it is built (upstream's
//! `ResAccumulator`): its resources, the field specs its transformers use, and its vars,
//! with the var binding and resolution upstream does on it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kustomize_yaml::Value;

use crate::fieldspecs::TransformerConfig;
use crate::kustomization::Var;
use crate::limits::Allowance;
use crate::resid::{Gvk, ResId};
use crate::resmap::ResMap;
use crate::transformers::refvar::{var_value, RefVarTransformer};
use crate::transformers::Transformer;
use crate::Error;

/// What a kustomization has gathered: its resources and the field specs its transformers
/// use (upstream's `ResAccumulator`). The config starts empty and every kustomization
/// merges its own (the defaults plus its `configurations:`) into it, as upstream does.
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    /// The resources.
    pub resources: ResMap,
    /// Field specs gathered so far.
    pub config: TransformerConfig,
    /// `vars:` gathered so far, by name.
    pub vars: BTreeMap<String, Var>,
}

impl Accumulator {
    pub(crate) fn new() -> Self {
        Accumulator::default()
    }

    pub(crate) fn merge_config(&mut self, config: &TransformerConfig) -> Result<(), Error> {
        // Merging nothing leaves a config (a merge's result, so sorted) as it is.
        if config.is_empty() || *config == self.config {
            return Ok(());
        }
        self.config = self
            .config
            .merged(config)
            .map_err(|e| Error::Other(format!("merging config: {e}")))?;
        Ok(())
    }

    /// Upstream's `MergeAccumulator`: resources appended (ids must stay unique), configs
    /// merged.
    pub(crate) fn absorb(&mut self, other: Accumulator) -> Result<(), Error> {
        self.merge_config(&other.config)?;
        self.resources.append_all(other.resources)?;
        for (name, var) in other.vars {
            self.add_var(name, var)?;
        }
        Ok(())
    }

    fn add_var(&mut self, name: String, var: Var) -> Result<(), Error> {
        if self.vars.contains_key(&name) {
            return Err(Error::Other(format!("var '{name}' already encountered")));
        }
        self.vars.insert(name, var);
        Ok(())
    }

    /// Upstream's `MergeVars`: each var binds to the one resource its `objref` names
    /// (by any of its ids; the namespace counts only when given or cluster-scoped), then
    /// joins the set (a repeated name is an error).
    pub(crate) fn merge_vars(&mut self, vars: &[Var]) -> Result<(), Error> {
        // Found through the name index first, marked after (marking drops the index).
        let mut bound: Vec<(usize, String)> = Vec::new();
        for v in vars {
            let mut v = v.clone();
            if v.fieldref.field_path.is_empty() {
                v.fieldref.field_path = "metadata.name".into();
            }
            let target = var_target_id(&v);
            let with_namespace = !target.namespace.is_empty() || target.gvk.is_cluster_scoped();
            let matches = |id: &ResId| {
                if with_namespace {
                    id.equals(&target)
                } else {
                    id.gvk == target.gvk && id.name == target.name
                }
            };
            let matched: Vec<usize> = self
                .resources
                .indices_named(&target.name)
                .into_iter()
                .filter(|&i| {
                    self.resources.resources().get(i).is_some_and(|r| {
                        matches(&r.cur_id()) || r.prev_ids().any(|id| matches(&id))
                    })
                })
                .collect();
            if matched.len() > 1 {
                return Err(Error::Other(format!(
                    "found {} resId matches for var {} (unable to disambiguate)",
                    matched.len(),
                    v.name
                )));
            }
            if let Some(&i) = matched.first() {
                bound.push((i, v.name.clone()));
            }
            self.add_var(v.name.clone(), v)?;
        }
        for (i, name) in bound {
            if let Some(r) = self.resources.get_mut(i) {
                r.add_ref_var_name(&name);
            }
        }
        Ok(())
    }

    /// Upstream's `ResolveVars`: each var's value read from the resource it bound to,
    /// then substituted in the `varReference` fields.
    pub(crate) fn resolve_vars(&mut self, allowance: &Arc<Allowance>) -> Result<(), Error> {
        if self.vars.is_empty() {
            return Ok(());
        }
        // Each var's holder: the first resource bound to it.
        let mut holders: HashMap<&str, &crate::resource::Resource> = HashMap::new();
        for r in self.resources.iter() {
            for n in r.ref_var_names() {
                holders.entry(n.as_str()).or_insert(r);
            }
        }
        let mut values = BTreeMap::new();
        for (name, v) in &self.vars {
            let holder = holders.get(name.as_str()).copied().ok_or_else(|| {
                Error::Other(format!(
                    "var '{name}' cannot be mapped to a field in the set of known resources"
                ))
            })?;
            let value = field_value(holder.value(), &v.fieldref.field_path)
                .and_then(|field| var_value(&field))
                .ok_or_else(|| {
                    // Upstream prints the var with Go's `%v` (its objref as its Gvk).
                    Error::Other(format!(
                        "field specified in var '{{{name} {} {{{}}}}}' not found in corresponding resource",
                        var_target_id(v).gvk,
                        v.fieldref.field_path
                    ))
                })?;
            values.insert(name.clone(), value);
        }
        RefVarTransformer {
            values,
            field_specs: self.config.var_reference.clone(),
            allowance: Arc::clone(allowance),
        }
        .transform(&mut self.resources)
    }
}

/// The id a var's `objref` names (`apiVersion` overrides `group`/`version`).
fn var_target_id(v: &Var) -> ResId {
    let o = &v.objref;
    let (mut group, mut version) = (o.group.clone(), o.version.clone());
    if !o.api_version.is_empty() {
        match o.api_version.split_once('/') {
            Some((g, ver)) if !ver.contains('/') => {
                group = g.to_owned();
                version = ver.to_owned();
            }
            None => version = o.api_version.clone(),
            _ => {}
        }
    }
    ResId::new(Gvk::new(group, version, &o.kind), &o.name, &o.namespace)
}

/// The value at a var's `fieldPath` (`a.b[0].c` or `a.b.0.c`), as upstream's
/// `GetFieldValue` reads it.
fn field_value(obj: &Value, path: &str) -> Option<Value> {
    let mut cur = obj;
    for part in crate::transformers::replacement::smarter_split(path) {
        let (name, index) = match part.find('[') {
            Some(i) if part.ends_with(']') => (&part[..i], Some(&part[i + 1..part.len() - 1])),
            _ => (part.as_str(), None),
        };
        if !name.is_empty() {
            cur = match name.parse::<usize>() {
                Ok(i) if cur.as_seq().is_some() => cur.as_seq()?.get(i)?,
                _ => cur.get(name)?,
            };
        }
        if let Some(index) = index {
            cur = cur.as_seq()?.get(index.parse::<usize>().ok()?)?;
        }
    }
    Some(cur.clone())
}
