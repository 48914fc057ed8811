//! `ImageTagTransformer`: `images:`.
//!
//! An image field matches when its value is the entry's `name` (a regular expression, as
//! upstream uses it unescaped) optionally followed by `:tag` and/or `@sha256:digest`. The
//! new value is `newName` (or the old name), then `newTag` and/or `digest` as given
//! (`tagSuffix` appends to the old tag). Two passes, as upstream: every `containers` and
//! `initContainers` list anywhere in the object, then the `images` table's fields. CRDs
//! are never touched.

use kustomize_yaml::{Mapping, Value};
use regex::Regex;

use super::Transformer;
use crate::fieldspec::FieldSpec;
use crate::kustomization::Image;
use crate::resmap::ResMap;
use crate::Error;

/// Rewrites image references.
#[derive(Debug, Clone)]
pub struct ImageTagTransformer {
    /// The entry.
    pub image: Image,
    /// The `images` table (or the plugin config's `fieldSpecs`).
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for ImageTagTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let err = |message: String| Error::Transform {
            transformer: "ImageTagTransformer",
            message,
        };
        let pattern = format!(
            "^(?:{})(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
            self.image.name
        );
        let matcher = Regex::new(&pattern).map_err(|e| err(e.to_string()))?;
        let mut update = |node: &mut Value| -> Result<(), String> {
            match node {
                Value::String(s) => {
                    if matcher.is_match(s) {
                        *s = self.new_image(s);
                    }
                    Ok(())
                }
                Value::Map(_) | Value::Seq(_) => Err(format!(
                    "wrong node kind: expected scalar, got {}",
                    node.type_name()
                )),
                _ => Ok(()),
            }
        };
        for r in resources.iter_mut() {
            if r.kind() == "CustomResourceDefinition" {
                continue;
            }
            let gvk = r.gvk();
            walk_containers(r.value_mut(), &mut update).map_err(err)?;
            for spec in &self.field_specs {
                spec.apply(r.value_mut(), &gvk, None, &mut update)
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

impl ImageTagTransformer {
    fn new_image(&self, old: &str) -> String {
        let (name, tag, digest) = split_image(old);
        let img = &self.image;
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

/// Upstream's legacy pass: every `containers` / `initContainers` sequence anywhere, each
/// element's `image`.
fn walk_containers(
    node: &mut Value,
    update: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    match node {
        Value::Map(map) => {
            for (key, value) in map.iter_mut() {
                walk_containers(value, update)?;
                if key == "containers" || key == "initContainers" {
                    if let Value::Seq(items) = value {
                        for item in items {
                            if let Some(image) = item
                                .as_map_mut()
                                .and_then(|m: &mut Mapping| m.get_mut("image"))
                            {
                                update(image)?;
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Seq(items) => items
            .iter_mut()
            .try_for_each(|i| walk_containers(i, update)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_image;

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
