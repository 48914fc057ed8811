//! `ImageTagTransformer`: `images:`.
//!
//! An image field matches when its value is the entry's `name` (a regular expression, as
//! upstream uses it unescaped) optionally followed by `:tag` and/or `@sha256:digest`. The
//! new value is `newName` (or the old name), then `newTag` and/or `digest` as given
//! (`tagSuffix` appends to the old tag). Two passes, as upstream: every `containers` and
//! `initContainers` list anywhere in the object, then the `images` table's fields. CRDs
//! are never touched.

use std::collections::HashMap;

use kustomize_yaml::{Seq, Value};
use regex::Regex;

use super::{node_at, Step, Transformer};
use crate::fieldspec::{split_path, FieldSpec};
use crate::kustomization::Image;
use crate::pattern::{is_dotted_name, strip_dotted_prefix};
use crate::resmap::ResMap;
use crate::Error;

/// Rewrites image references for one or several `images:` entries.
///
/// Several entries in one transformer behave exactly as the same entries one after the
/// other (each image field gets entry 1, then entry 2, ... and a field both passes reach
/// gets each entry twice in a row, as upstream), but every resource is walked once and
/// entries are looked up by name instead of tried one by one.
#[derive(Debug, Clone)]
pub struct ImageTagTransformer {
    /// The entries, in order.
    pub images: Vec<Image>,
    /// The `images` table (or the plugin config's `fieldSpecs`).
    pub field_specs: Vec<FieldSpec>,
}

fn err(message: String) -> Error {
    Error::Transform {
        transformer: "ImageTagTransformer",
        message,
    }
}

/// A [`Step`] borrowed from the tree while walking it: keys are copied only into the
/// paths that reach an image.
#[derive(Clone, Copy)]
enum StepRef<'a> {
    Key(&'a str),
    Index(usize),
}

impl StepRef<'_> {
    fn to_step(self) -> Step {
        match self {
            StepRef::Key(k) => Step::Key(k.into()),
            StepRef::Index(i) => Step::Index(i),
        }
    }
}

impl Transformer for ImageTagTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        if self.images.is_empty() {
            return Ok(());
        }
        let index = ImageIndex::new(&self.images)?;
        // Split as upstream's `PathSplitter` does: `\/` is a slash within a field name.
        let specs: Vec<(&FieldSpec, Vec<String>)> = (self.field_specs.iter())
            .map(|spec| (spec, split_path(spec.path.trim_start_matches('/'), '/')))
            .collect();
        // Every image field of a resource, in the order found, with how many of the two
        // passes reach it (reused from resource to resource).
        let mut order: Vec<(Vec<Step>, usize)> = Vec::new();
        let mut found: HashMap<Vec<Step>, usize> = HashMap::new();
        let mut prefix = Vec::new();
        let stop = resources.stop();
        for (i, r) in resources.iter_mut().enumerate() {
            stop.poll(i)?;
            if r.text_at(&["kind"]) == "CustomResourceDefinition" {
                continue;
            }
            let gvk = r.gvk();
            let obj = r.value_mut();
            order.clear();
            found.clear();
            let mut record = |path: Vec<Step>| match found.get(&path) {
                Some(&at) => order[at].1 += 1,
                None => {
                    found.insert(path.clone(), order.len());
                    order.push((path, 1));
                }
            };
            containers_paths(obj, &mut Vec::new(), &mut record);
            for (spec, segs) in &specs {
                if spec.applies_to(&gvk) {
                    prefix.clear();
                    spec_paths(obj, segs, &mut prefix, &mut record).map_err(|e| {
                        let text = |path: &[&str]| obj.str_at(path).unwrap_or("").to_owned();
                        let id = crate::resid::ResId::new(
                            gvk.clone(),
                            text(&["metadata", "name"]),
                            text(&["metadata", "namespace"]),
                        );
                        err(format!(
                            "considering field '{}' of object {id}: {e}",
                            spec.path
                        ))
                    })?;
                }
            }
            for (path, times) in order.drain(..) {
                let Some(node) = node_at(obj, &path) else {
                    continue;
                };
                match node {
                    Value::String(value) => {
                        if let Some(new) = index.rewrite(&self.images, value, times) {
                            // kyaml's `SetScalar`: untagged, in the old node's style.
                            node.set_scalar(&new);
                        }
                    }
                    Value::Map(_) | Value::Seq(_) => {
                        return Err(err(format!(
                            "wrong node kind: expected scalar, got {}",
                            node.type_name()
                        )))
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// The entries' name patterns, with the plain ones indexed by name.
///
/// A pattern made only of name characters and `.` matches exactly as many characters as
/// it has, so the value's first characters (with the `.` positions masked) find it by
/// hash; other patterns are tried on every value. Every candidate is checked with its
/// [`NamePattern`].
struct ImageIndex {
    patterns: Vec<NamePattern>,
    groups: Vec<PlainGroup>,
    others: Vec<usize>,
}

/// Plain patterns of one length and one set of `.` positions.
struct PlainGroup {
    chars: usize,
    dots: Vec<usize>,
    by_key: HashMap<String, Vec<usize>>,
}

/// An entry's name as upstream matches it, Go's regex
/// `^NAME(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`: the name is not grouped, so
/// `nginx|foo` matches `nginx-x:1` and `barfoo:2`. (Upstream panics on a name that does
/// not compile; here it is an error.)
enum NamePattern {
    /// Name characters and `.` only: matched by hand (compiling a regular expression per
    /// entry was a tenth of a build with many images).
    Plain(String),
    /// Anything else, compiled.
    Regex(Regex),
}

impl NamePattern {
    fn new(name: &str) -> Result<Self, Error> {
        if is_dotted_name(name) {
            return Ok(NamePattern::Plain(name.to_owned()));
        }
        let pattern = format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$");
        crate::go_regex::compile(&pattern)
            .map(NamePattern::Regex)
            .map_err(err)
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            NamePattern::Regex(re) => re.is_match(value),
            NamePattern::Plain(name) => {
                let Some(mut rest) = strip_dotted_prefix(name, value) else {
                    return false;
                };
                let tag_char = |c: char| c.is_ascii_alphanumeric() || "_.{}-".contains(c);
                if let Some(r) = rest.strip_prefix(':') {
                    rest = r.trim_start_matches(tag_char);
                }
                if let Some(r) = rest.strip_prefix("@sha256:") {
                    rest = r.trim_start_matches(tag_char);
                }
                rest.is_empty()
            }
        }
    }
}

fn mask(chars: impl Iterator<Item = char>, dots: &[usize]) -> String {
    chars
        .enumerate()
        .map(|(i, c)| if dots.contains(&i) { '.' } else { c })
        .collect()
}

impl ImageIndex {
    fn new(images: &[Image]) -> Result<Self, Error> {
        let mut patterns = Vec::with_capacity(images.len());
        let mut groups: Vec<PlainGroup> = Vec::new();
        let mut others = Vec::new();
        for (i, img) in images.iter().enumerate() {
            patterns.push(NamePattern::new(&img.name)?);
            if !is_dotted_name(&img.name) {
                others.push(i);
                continue;
            }
            let dots: Vec<usize> = img
                .name
                .chars()
                .enumerate()
                .filter(|(_, c)| *c == '.')
                .map(|(i, _)| i)
                .collect();
            let chars = img.name.chars().count();
            let group = match groups
                .iter_mut()
                .position(|g| g.chars == chars && g.dots == dots)
            {
                Some(g) => &mut groups[g],
                None => {
                    groups.push(PlainGroup {
                        chars,
                        dots: dots.clone(),
                        by_key: HashMap::new(),
                    });
                    groups.last_mut().ok_or_else(|| err("image index".into()))?
                }
            };
            group
                .by_key
                .entry(mask(img.name.chars(), &dots))
                .or_default()
                .push(i);
        }
        Ok(ImageIndex {
            patterns,
            groups,
            others,
        })
    }

    /// The first entry at or after `from` whose pattern matches `value`.
    fn first_match(&self, value: &str, from: usize) -> Option<usize> {
        let mut candidates: Vec<usize> =
            self.others.iter().copied().filter(|&i| i >= from).collect();
        for g in &self.groups {
            let prefix = mask(value.chars().take(g.chars), &g.dots);
            if prefix.chars().count() == g.chars {
                if let Some(found) = g.by_key.get(&prefix) {
                    candidates.extend(found.iter().copied().filter(|&i| i >= from));
                }
            }
        }
        candidates.sort_unstable();
        candidates
            .into_iter()
            .find(|&i| self.patterns[i].is_match(value))
    }

    /// The value after every entry in order, each applied `times` times in a row; `None`
    /// when nothing matched.
    fn rewrite(&self, images: &[Image], value: &str, times: usize) -> Option<String> {
        let mut current = value.to_owned();
        let mut changed = false;
        let mut from = 0;
        while let Some(i) = self.first_match(&current, from) {
            for _ in 0..times {
                if self.patterns[i].is_match(&current) {
                    current = new_image(&images[i], &current);
                    changed = true;
                }
            }
            from = i + 1;
        }
        changed.then_some(current)
    }
}

/// Upstream's legacy pass: every `containers` / `initContainers` sequence anywhere, each
/// element's `image`.
fn containers_paths<'a>(
    node: &'a Value,
    prefix: &mut Vec<StepRef<'a>>,
    record: &mut dyn FnMut(Vec<Step>),
) {
    match node {
        Value::Map(map) => {
            for (key, value) in map {
                prefix.push(StepRef::Key(key));
                kustomize_yaml::stack::deeper_at(prefix.len(), || {
                    containers_paths(value, prefix, record)
                });
                if key == "containers" || key == "initContainers" {
                    if let Value::Seq(items) = value {
                        for (i, item) in items.iter().enumerate() {
                            if item.get("image").is_some() {
                                let mut path: Vec<Step> =
                                    prefix.iter().copied().map(StepRef::to_step).collect();
                                path.push(Step::Index(i));
                                path.push(Step::Key("image".into()));
                                record(path);
                            }
                        }
                    }
                }
                prefix.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                prefix.push(StepRef::Index(i));
                kustomize_yaml::stack::deeper_at(prefix.len(), || {
                    containers_paths(item, prefix, record)
                });
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// The image fields a spec path reaches (upstream's field-spec walk without creation: a
/// `null` list named `x[]` becomes empty).
///
/// As upstream's field-spec filter, a scalar where the path goes on is an error.
fn spec_paths(
    node: &mut Value,
    segs: &[String],
    prefix: &mut Vec<Step>,
    record: &mut dyn FnMut(Vec<Step>),
) -> Result<(), &'static str> {
    let Some((head, rest)) = segs.split_first() else {
        record(prefix.clone());
        return Ok(());
    };
    match node {
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                prefix.push(Step::Index(i));
                kustomize_yaml::stack::deeper_at(prefix.len(), || {
                    spec_paths(item, segs, prefix, record)
                })?;
                prefix.pop();
            }
        }
        Value::Map(map) => {
            let (name, is_seq) = match head.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (head.as_str(), false),
            };
            let Some(field) = map.get_mut(name) else {
                return Ok(());
            };
            if is_seq && field.is_null() {
                *field = Value::Seq(Seq::new());
            }
            prefix.push(Step::Key(name.into()));
            kustomize_yaml::stack::deeper_at(prefix.len(), || {
                spec_paths(field, rest, prefix, record)
            })?;
            prefix.pop();
        }
        Value::Null | Value::Blank => {}
        _ => return Err("expected sequence or mapping node"),
    }
    Ok(())
}

/// One entry applied to one image reference.
fn new_image(img: &Image, old: &str) -> String {
    let (name, tag, digest) = split_image(old);
    let mut name = if img.new_name.is_empty() {
        name.to_owned()
    } else {
        img.new_name.clone()
    };
    let (tag, digest) = if !img.new_tag.is_empty() && !img.digest.is_empty() {
        (img.new_tag.clone(), img.digest.clone())
    } else if !img.new_tag.is_empty() {
        (img.new_tag.clone(), String::new())
    } else if !img.digest.is_empty() {
        (String::new(), img.digest.clone())
    } else if !img.tag_suffix.is_empty() {
        (format!("{tag}{}", img.tag_suffix), String::new())
    } else {
        (tag.to_owned(), digest.to_owned())
    };
    if !tag.is_empty() {
        name.push(':');
        name.push_str(&tag);
    }
    if !digest.is_empty() {
        name.push('@');
        name.push_str(&digest);
    }
    name
}

/// Splits an image reference into name, tag and digest; a `:` before the first `/` is a
/// registry port, not a tag.
pub fn split_image(image: &str) -> (&str, &str, &str) {
    let offset = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[offset..];
    let at = search.find('@').map(|i| i + offset);
    let colon = search.find(':').map(|i| i + offset);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (Some(c), Some(a)) if c < a => (&image[..c], &image[c + 1..a], &image[a + 1..]),
        (_, Some(a)) => (&image[..a], "", &image[a + 1..]),
        (Some(c), None) => (&image[..c], &image[c + 1..], ""),
    }
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// A plain name matched by hand agrees with upstream's regular expression.
        #[test]
        fn plain_names_match_as_the_regex_does(
            name in "[a.:@/_-]{1,4}",
            value in "[a.:@/_{}b\n-]{0,6}(@sha256:[ab.]{0,3})?",
        ) {
            let pattern = format!("^(?:{name})(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$");
            let re = Regex::new(&pattern).unwrap();
            let plain = NamePattern::new(&name).unwrap();
            proptest::prop_assert!(matches!(plain, NamePattern::Plain(_)));
            proptest::prop_assert_eq!(plain.is_match(&value), re.is_match(&value));
        }
    }
    use super::*;
    use crate::resource::Resource;

    fn image(name: &str, new_name: &str, new_tag: &str) -> Image {
        Image {
            name: name.into(),
            new_name: new_name.into(),
            new_tag: new_tag.into(),
            ..Image::default()
        }
    }

    #[test]
    fn entries_together_equal_entries_in_turn() {
        let doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: nginx:1\n      - name: b\n        image: gcr.io/x/app\n      initContainers:\n      - name: c\n        image: busybox\n";
        let specs = crate::fieldspecs::TransformerConfig::defaults().images;
        let images = vec![
            image("nginx", "mirror/nginx", ""),
            image("mirror/nginx", "", "2"),
            image("gcr.io/x/app", "", "v9"),
            image("busy.*", "alpine", ""),
            image("alpine", "alpine", "3"),
        ];
        let load = || {
            let mut m = ResMap::new();
            for r in
                crate::resource::resources_from_bytes(doc.as_bytes(), std::path::Path::new("t"))
                    .unwrap()
            {
                m.append(r).unwrap();
            }
            m
        };
        let mut together = load();
        ImageTagTransformer {
            images: images.clone(),
            field_specs: specs.clone(),
        }
        .transform(&mut together)
        .unwrap();
        let mut in_turn = load();
        for img in images {
            ImageTagTransformer {
                images: vec![img],
                field_specs: specs.clone(),
            }
            .transform(&mut in_turn)
            .unwrap();
        }
        let values = |m: &ResMap| {
            m.iter()
                .map(|r: &Resource| r.to_yaml().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&together), values(&in_turn));
        assert!(values(&together)[0].contains("image: mirror/nginx:2"));
        assert!(values(&together)[0].contains("image: alpine:3"));
    }

    #[test]
    fn split_image_cases() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), ("nginx", "1.2", ""));
        assert_eq!(
            split_image("reg:5000/nginx:1.2"),
            ("reg:5000/nginx", "1.2", "")
        );
        assert_eq!(split_image("nginx@sha256:abc"), ("nginx", "", "sha256:abc"));
        assert_eq!(
            split_image("nginx:1@sha256:abc"),
            ("nginx", "1", "sha256:abc")
        );
    }
}
