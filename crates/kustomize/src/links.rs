//! Linked fields: places in one resource that hold one shared node upstream.
//!
//! When upstream's labels or annotations filter adds key K to a resource, it makes one
//! `yaml.Node` for K and appends that same node wherever a field spec's map lacks K
//! (`filtersutil.SetEntry` with `FieldSetter`); where K exists it copies the value into
//! the existing node instead, which stays separate. A later write *into* one of the shared
//! nodes (`FieldSetter` on an existing field: another labels entry, a strategic-merge
//! patch, a replacement) therefore shows in every place the node was appended:
//!
//! ```yaml
//! # base: commonLabels {k: x}   overlay: labels [{pairs: {k: v2}}] (metadata only)
//! # upstream prints k: v2 in metadata, the selector and the template
//! ```
//!
//! Here values are owned, so a resource records its [`Links`]: for each such key, the
//! places (the path of the map holding it, with the sequence indices the walk took) that
//! share it. An operation that can write in place runs between [`Links::snapshot`] and
//! [`Links::sync`], which copies a changed place's value to the others of its link and
//! forgets places whose key has gone. A JSON patch rebuilds the resource (no links left);
//! anchors and aliases never link (kyaml copies each alias when it reads a file).

use kustomize_yaml::{Key, Mapping, ThinVec, Value};

/// Where a linked key sits: the field-spec path of the map that holds it, and the index
/// taken at each sequence the path went through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    /// A [`Key`] for its one word: clones share the text.
    path: Key,
    indices: ThinVec<u32>,
}

impl Place {
    /// The place at `path` (a field spec's), reached through these sequence indices.
    pub(crate) fn new(path: Key, indices: &[u32]) -> Place {
        Place {
            path,
            indices: indices.iter().copied().collect(),
        }
    }

    /// The map at this place in `obj`, if it is still there. Sequences are entered by the
    /// recorded indices wherever the field-spec walk met one (with path left to walk).
    fn map_mut<'v>(&self, obj: &'v mut Value) -> Option<&'v mut Mapping> {
        let path = self.path.as_str();
        if path.contains('\\') {
            let segs = crate::fieldspec::split_path(path, '/');
            self.follow(obj, segs.iter().map(String::as_str))
        } else {
            self.follow(obj, path.trim_start_matches('/').split('/'))
        }
    }

    fn follow<'v, 's>(
        &self,
        obj: &'v mut Value,
        segs: impl Iterator<Item = &'s str>,
    ) -> Option<&'v mut Mapping> {
        let mut indices = self.indices.iter();
        let mut cur = obj;
        for seg in segs {
            while let Value::Seq(items) = cur {
                cur = items.get_mut(*indices.next()? as usize)?;
            }
            let name = seg.strip_suffix("[]").unwrap_or(seg);
            cur = cur.as_map_mut()?.get_mut(name)?;
        }
        cur.as_map_mut()
    }
}

/// One key's shared node: the places that hold it (two or more).
#[derive(Debug, Clone, PartialEq)]
struct Link {
    key: Key,
    places: ThinVec<Place>,
}

/// A resource's linked fields (see the module docs). Empty for most resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Links(ThinVec<Link>);

/// The values of every linked place before an operation, in link order.
pub(crate) struct Snapshot(Vec<Option<Value>>);

impl Links {
    /// Whether nothing is linked.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets every link (the resource was rebuilt).
    pub(crate) fn clear(&mut self) {
        self.0 = ThinVec::new();
    }

    /// Links `places` under `key`: one node shared by them all. A place here is one where
    /// the key was missing, so any older link that still lists it is stale there.
    pub(crate) fn add(&mut self, key: &Key, places: ThinVec<Place>) {
        for link in self.0.iter_mut().filter(|l| l.key == *key) {
            link.places.retain(|p| !places.contains(p));
        }
        self.0.retain(|l| l.places.len() > 1);
        if places.len() > 1 {
            self.0.push(Link {
                key: key.clone(),
                places,
            });
        }
    }

    /// Forgets the places at `path` (a whole map upstream rebuilds, such as
    /// `metadata/annotations` after `SetAnnotations`).
    pub(crate) fn unlink_path(&mut self, path: &str) {
        for link in self.0.iter_mut() {
            link.places
                .retain(|p| p.path.as_str() != path || !p.indices.is_empty());
        }
        self.0.retain(|l| l.places.len() > 1);
    }

    /// The current value of every linked place of `obj`.
    pub(crate) fn snapshot(&self, obj: &mut Value) -> Snapshot {
        let mut values = Vec::new();
        for link in self.0.iter() {
            for place in link.places.iter() {
                let value = place
                    .map_mut(obj)
                    .and_then(|m| m.get(link.key.as_str()))
                    .cloned();
                values.push(value);
            }
        }
        Snapshot(values)
    }

    /// After an operation on `obj`: a place whose value changed since `before` passes its
    /// new value to the others of its link (the last changed place when several did, as
    /// the last write into a shared node wins); places whose key has gone are forgotten.
    pub(crate) fn sync(&mut self, obj: &mut Value, before: Snapshot) {
        let mut before = before.0.into_iter();
        for link in self.0.iter_mut() {
            let mut changed = None;
            let mut gone = Vec::new();
            for (i, place) in link.places.iter().enumerate() {
                let was = before.next().flatten();
                match place.map_mut(obj).and_then(|m| m.get(link.key.as_str())) {
                    None => gone.push(i),
                    Some(now) if was.as_ref() != Some(now) => changed = Some(now.clone()),
                    Some(_) => {}
                }
            }
            for i in gone.into_iter().rev() {
                link.places.remove(i);
            }
            let Some(value) = changed else { continue };
            for place in link.places.iter() {
                if let Some(v) = place
                    .map_mut(obj)
                    .and_then(|m| m.get_mut(link.key.as_str()))
                {
                    *v = value.clone();
                }
            }
        }
        self.0.retain(|l| l.places.len() > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_mut<'v>(mut v: &'v mut Value, path: &[&str]) -> &'v mut Value {
        for k in path {
            v = v.as_map_mut().unwrap().get_mut(k).unwrap();
        }
        v
    }

    fn doc(src: &str) -> Value {
        kustomize_yaml::parse_documents(src, kustomize_yaml::Schema::Kyaml)
            .unwrap()
            .remove(0)
    }

    const DEPLOYMENT: &str = "metadata:\n  labels: {k: x}\nspec:\n  selector:\n    matchLabels: {k: x}\n  template:\n    metadata:\n      labels: {k: x}\n  volumeClaimTemplates:\n  - metadata:\n      labels: {k: x}\n";

    fn linked() -> Links {
        let mut links = Links::default();
        let places = [
            "metadata/labels",
            "spec/selector/matchLabels",
            "spec/volumeClaimTemplates/metadata/labels",
        ]
        .iter()
        .map(|p| Place::new(Key::new(p), if p.contains("volume") { &[0] } else { &[] }))
        .collect::<ThinVec<Place>>();
        links.add(&Key::new("k"), places);
        links
    }

    #[test]
    fn a_write_into_one_place_reaches_the_others() {
        let mut obj = doc(DEPLOYMENT);
        let mut links = linked();
        let before = links.snapshot(&mut obj);
        *at_mut(&mut obj, &["metadata", "labels", "k"]) = Value::from("y");
        links.sync(&mut obj, before);
        let at =
            |obj: &Value, path: &[&str]| obj.get_path(path).unwrap().as_str().unwrap().to_owned();
        assert_eq!(at(&obj, &["spec", "selector", "matchLabels", "k"]), "y");
        let vct = &obj
            .get_path(&["spec", "volumeClaimTemplates"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(
            vct.get_path(&["metadata", "labels", "k"]).unwrap().as_str(),
            Some("y")
        );
        // The template was never linked.
        assert_eq!(
            at(&obj, &["spec", "template", "metadata", "labels", "k"]),
            "x"
        );
    }

    #[test]
    fn a_removed_place_leaves_its_link() {
        let mut obj = doc(DEPLOYMENT);
        let mut links = linked();
        let before = links.snapshot(&mut obj);
        at_mut(&mut obj, &["metadata", "labels"])
            .as_map_mut()
            .unwrap()
            .shift_remove("k");
        links.sync(&mut obj, before);
        let before = links.snapshot(&mut obj);
        *at_mut(&mut obj, &["spec", "selector", "matchLabels", "k"]) = Value::from("z");
        links.sync(&mut obj, before);
        assert!(obj.get_path(&["metadata", "labels", "k"]).is_none());
        let vct = &obj
            .get_path(&["spec", "volumeClaimTemplates"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(
            vct.get_path(&["metadata", "labels", "k"]).unwrap().as_str(),
            Some("z")
        );
        links.unlink_path("spec/selector/matchLabels");
        assert!(links.is_empty());
    }
}
