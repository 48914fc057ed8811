//! Resource selection for patch targets and replacements (upstream's `Selector` and
//! `SelectorRegex`): group, version, kind, name and namespace are regular expressions
//! anchored at both ends; name and namespace match the original or the current id;
//! `labelSelector` and `annotationSelector` use Kubernetes label-selector syntax.

use std::collections::BTreeMap;

use crate::kustomization::Selector;
use crate::pattern::Anchored;
use crate::resource::{scalar_text, Resource};
use crate::Error;

/// A compiled selector.
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    group: Option<Anchored>,
    version: Option<Anchored>,
    kind: Option<Anchored>,
    name: Option<Anchored>,
    namespace: Option<Anchored>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(pattern: &str) -> Result<Option<Anchored>, Error> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Anchored::new(pattern).map(Some).map_err(Error::Other)
}

impl CompiledSelector {
    /// Compiles the regular expressions and label selectors.
    pub fn new(s: &Selector) -> Result<Self, Error> {
        let parse = |text: &str| -> Result<Option<LabelSelector>, Error> {
            if text.is_empty() {
                Ok(None)
            } else {
                LabelSelector::parse(text).map(Some).map_err(Error::Other)
            }
        };
        Ok(CompiledSelector {
            group: anchored(&s.group)?,
            version: anchored(&s.version)?,
            kind: anchored(&s.kind)?,
            name: anchored(&s.name)?,
            namespace: anchored(&s.namespace)?,
            labels: parse(&s.label_selector)?,
            annotations: parse(&s.annotation_selector)?,
        })
    }

    /// Whether the resource is selected. Cheap tests first; ids are built only when the
    /// namespace is asked for.
    pub fn matches(&self, r: &Resource) -> bool {
        let one = |re: &Option<Anchored>, a: &str| re.as_ref().is_none_or(|re| re.is_match(a));
        if let Some(kind) = &self.kind {
            if !kind.is_match(&r.text_at(&["kind"])) {
                return false;
            }
        }
        if let Some(name) = &self.name {
            let cur = r.text_at(&["metadata", "name"]);
            let org = r.prev_names().next();
            if !name.is_match(&cur) && !org.is_some_and(|o| name.is_match(o)) {
                return false;
            }
        }
        if self.group.is_some() || self.version.is_some() {
            let gvk = r.gvk();
            if !one(&self.group, &gvk.group) || !one(&self.version, &gvk.version) {
                return false;
            }
        }
        if let Some(ns) = &self.namespace {
            let (cur, org) = (r.cur_id(), r.org_id());
            if !ns.is_match(org.effective_namespace()) && !ns.is_match(cur.effective_namespace()) {
                return false;
            }
        }
        self.labels
            .as_ref()
            .is_none_or(|l| l.matches(&string_map(r, "labels")))
            && self
                .annotations
                .as_ref()
                .is_none_or(|l| l.matches(&string_map(r, "annotations")))
    }
}

fn string_map(r: &Resource, field: &str) -> BTreeMap<String, String> {
    match r.value().get_path(&["metadata", field]) {
        Some(kustomize_yaml::Value::Map(m)) => m
            .iter()
            .map(|(k, v)| (k.to_string(), scalar_text(Some(v))))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A Kubernetes label selector: requirements joined by commas.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSelector(Vec<Requirement>);

#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_requirement(part).ok_or_else(|| {
                format!("unable to parse requirement: invalid label selector '{text}'")
            })?);
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether the labels satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Gt(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Requirement::Lt(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }
}

/// Splits at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_requirement(part: &str) -> Option<Requirement> {
    if let Some(key) = part.strip_prefix('!') {
        return valid_key(key.trim()).map(|k| Requirement::NotExists(k.to_owned()));
    }
    for (op, neg) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (valid_key(k.trim())?, v.trim().to_owned());
            return Some(if neg {
                Requirement::NotIn(k.to_owned(), vec![v])
            } else {
                Requirement::In(k.to_owned(), vec![v])
            });
        }
    }
    for (op, gt) in [(">", true), ("<", false)] {
        if let Some((k, v)) = part.split_once(op) {
            let k = valid_key(k.trim())?.to_owned();
            let n = v.trim().parse().ok()?;
            return Some(if gt {
                Requirement::Gt(k, n)
            } else {
                Requirement::Lt(k, n)
            });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let rest = words[1].trim();
        for (op, not) in [("notin", true), ("in", false)] {
            if let Some(list) = rest.strip_prefix(op) {
                let list = list.trim().strip_prefix('(')?.strip_suffix(')')?;
                let values = list.split(',').map(|v| v.trim().to_owned()).collect();
                let k = valid_key(words[0])?.to_owned();
                return Some(if not {
                    Requirement::NotIn(k, values)
                } else {
                    Requirement::In(k, values)
                });
            }
        }
        return None;
    }
    valid_key(part).map(|k| Requirement::Exists(k.to_owned()))
}

fn valid_key(k: &str) -> Option<&str> {
    (!k.is_empty() && !k.contains(char::is_whitespace)).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "web"), ("tier", "backend")]);
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=backend", true),
            ("app!=web", false),
            ("app in (web, api)", true),
            ("tier notin (backend)", false),
            ("app", true),
            ("!missing", true),
            ("!app", false),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
    }
}
