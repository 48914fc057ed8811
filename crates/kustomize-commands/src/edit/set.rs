//! `kustomize edit set ...`.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Subcommand;
use kustomize::unstable::kustomization::{Image, Replica, StringMap};
use kustomize::unstable::transformers::image_tag::split_image;

use super::configmap_secret::{SetConfigMap, SetSecret};
use super::{build_metadata_options, key_value_map, update};

/// `edit set` subcommands.
#[derive(Debug, Subcommand)]
pub enum Set {
    /// Edits the value for an existing key for a ConfigMap in the kustomization.yaml file
    Configmap(SetConfigMap),
    /// Edits the value for an existing key for a Secret in the kustomization.yaml file
    Secret(SetSecret),
    /// Sets the value of the namePrefix field in the kustomization file
    Nameprefix {
        /// The prefix.
        #[arg(allow_hyphen_values = true)]
        values: Vec<String>,
    },
    /// Sets the value of the nameSuffix field in the kustomization file
    Namesuffix {
        /// The suffix (after `--` if it starts with `-`).
        values: Vec<String>,
    },
    /// Sets the value of the namespace field in the kustomization file
    Namespace {
        /// The namespace.
        values: Vec<String>,
    },
    /// Sets images and their new names, new tags or digests in the kustomization file
    Image {
        /// `<image>=<newimage>:<newtag>@<digest>` and its shorter forms.
        images: Vec<String>,
    },
    /// Sets one or more buildMetadata options to the kustomization.yaml in the current directory
    Buildmetadata {
        /// Comma-separated options.
        options: Vec<String>,
    },
    /// Sets replicas count for resources in the kustomization file
    Replicas {
        /// `<name>=<count>` pairs.
        replicas: Vec<String>,
    },
    /// Sets one or more commonLabels in kustomization.yaml
    Label {
        /// `key:value` pairs.
        pairs: Vec<String>,
    },
    /// Sets one or more commonAnnotations in kustomization.yaml
    Annotation {
        /// `key:value` pairs.
        pairs: Vec<String>,
    },
}

const INVALID_IMAGE: &str = "invalid format of image, use one of the following options:
- <image>=<newimage>:<newtag>
- <image>=<newimage>@<digest>
- <image>=<newimage>:<newtag>@<digest>
- <image>=<newimage>
- <image>:<newtag>
- <image>:<newtag>@<digest>
- <image>@<digest>";

impl Set {
    /// Runs the subcommand in `dir`.
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        match self {
            Set::Nameprefix { values } => {
                let value = exactly_one(values, "must specify exactly one prefix value")?;
                update(dir, |k| {
                    k.name_prefix = value;
                    Ok(())
                })
            }
            Set::Namesuffix { values } => {
                let value = exactly_one(values, "must specify exactly one suffix value")?;
                update(dir, |k| {
                    k.name_suffix = value;
                    Ok(())
                })
            }
            Set::Namespace { values } => {
                let value = exactly_one(values, "must specify exactly one namespace value")?;
                update(dir, |k| {
                    k.namespace = value;
                    Ok(())
                })
            }
            Set::Buildmetadata { options } => {
                let opts = build_metadata_options(options)?;
                update(dir, |k| {
                    k.build_metadata = opts;
                    Ok(())
                })
            }
            Set::Label { pairs } => {
                if pairs.is_empty() {
                    return Err("must specify label".into());
                }
                let items: Vec<&str> = pairs.iter().map(String::as_str).collect();
                let pairs = key_value_map(&items, "label")?;
                update(dir, |k| {
                    k.common_labels
                        .get_or_insert_with(StringMap::new)
                        .extend(pairs);
                    Ok(())
                })
            }
            Set::Annotation { pairs } => {
                if pairs.is_empty() {
                    return Err("must specify annotation".into());
                }
                let items: Vec<&str> = pairs.iter().map(String::as_str).collect();
                let pairs = key_value_map(&items, "annotation")?;
                if pairs.iter().any(|(key, _)| !is_annotation_key(key)) {
                    return Err("invalid annotation key: see the syntax and character set rules at https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/".into());
                }
                update(dir, |k| {
                    k.common_annotations
                        .get_or_insert_with(StringMap::new)
                        .extend(pairs);
                    Ok(())
                })
            }
            Set::Image { images } => {
                if images.is_empty() {
                    return Err("no image specified".into());
                }
                let mut wanted: BTreeMap<String, Image> = BTreeMap::new();
                for arg in images {
                    let image = parse_image_arg(arg)?;
                    wanted.insert(image.name.clone(), image);
                }
                update(dir, |k| {
                    set_images(&mut k.images, wanted);
                    Ok(())
                })
            }
            Set::Replicas { replicas } => {
                if replicas.is_empty() {
                    return Err("no replicas specified".into());
                }
                let mut wanted: BTreeMap<String, Replica> = BTreeMap::new();
                for arg in replicas {
                    let bad = || {
                        "invalid format of replica, use the following format: <name>=<count>"
                            .to_string()
                    };
                    let parts: Vec<&str> = arg.split('=').collect();
                    let [name, count] = parts.as_slice() else {
                        return Err(bad());
                    };
                    let count = parse_go_int(count).ok_or_else(bad)?;
                    wanted.insert(
                        name.to_string(),
                        Replica {
                            name: name.to_string(),
                            count,
                        },
                    );
                }
                update(dir, |k| {
                    for r in std::mem::take(&mut k.replicas) {
                        if !wanted.contains_key(&r.name) {
                            wanted.insert(r.name.clone(), r);
                        }
                    }
                    k.replicas = wanted.into_values().collect();
                    Ok(())
                })
            }
            Set::Configmap(c) => c.run(dir),
            Set::Secret(s) => s.run(dir),
        }
    }
}

fn exactly_one(values: &[String], message: &str) -> Result<String, String> {
    match values {
        [one] => Ok(one.clone()),
        _ => Err(message.into()),
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits.
fn parse_go_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Kubernetes' annotation key rule: an optional DNS-subdomain-like prefix (at most 253
/// characters) and `/`, then a name of 1 to 63 characters.
fn is_annotation_key(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if let Some(p) = prefix {
        let ok = (1..=253).contains(&p.len())
            && p.starts_with(|c: char| c.is_ascii_alphabetic())
            && p.ends_with(alnum)
            && p.chars().all(|c| alnum(c) || c == '-' || c == '.');
        if !ok {
            return false;
        }
    }
    (1..=63).contains(&name.len())
        && name.starts_with(alnum)
        && name.ends_with(alnum)
        && name
            .chars()
            .all(|c| alnum(c) || c == '-' || c == '_' || c == '.')
}

/// One `set image` argument: `[name=]image[:tag][@digest]`.
fn parse_image_arg(arg: &str) -> Result<Image, String> {
    let (key, value) = match arg.split_once('=') {
        Some((k, v)) => (k, v),
        None => ("", arg),
    };
    let (name, tag, digest) = split_image(value);
    if name == arg {
        return Err(INVALID_IMAGE.into());
    }
    let mut image = Image {
        new_tag: tag.into(),
        digest: digest.into(),
        ..Image::default()
    };
    if key.is_empty() {
        image.name = name.into();
    } else {
        image.name = key.into();
        image.new_name = name.into();
    }
    Ok(image)
}

/// Upstream's `RunSetImage` merge: an entry whose name is already in the map (an argument,
/// or an earlier entry of the same name) is replaced by the map's image, whose `*` fields
/// take the entry's values; other entries join the map. A `*` left over means unset. Every
/// `*` replacement rebuilds the image without its `tagSuffix`. Sorted by name.
fn set_images(images: &mut Vec<Image>, mut map: BTreeMap<String, Image>) {
    fn replace(image: &mut Image, field: fn(&mut Image) -> &mut String, value: String) {
        *field(image) = value;
        image.tag_suffix.clear();
    }
    const FIELDS: [fn(&mut Image) -> &mut String; 3] =
        [|i| &mut i.new_name, |i| &mut i.new_tag, |i| &mut i.digest];
    for mut old in std::mem::take(images) {
        let name = old.name.clone();
        match map.get_mut(&name) {
            Some(arg) => {
                for field in FIELDS {
                    if field(arg) == "*" {
                        let previous = std::mem::take(field(&mut old));
                        replace(arg, field, previous);
                    }
                }
            }
            None => {
                map.insert(name, old);
            }
        }
    }
    for image in map.values_mut() {
        for field in FIELDS {
            if field(image) == "*" {
                replace(image, field, String::new());
            }
        }
    }
    *images = map.into_values().collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_keys() {
        assert!(is_annotation_key("a"));
        assert!(is_annotation_key("example.com/a_b"));
        assert!(!is_annotation_key("no,value"));
        assert!(!is_annotation_key(&"a".repeat(64)));
        assert!(is_annotation_key(&format!(
            "{}/{}",
            "a".repeat(253),
            "b".repeat(63)
        )));
    }
}
