//! Random kustomization trees from a seed.
//!
//! A tree has an overlay (the directory built) over one or two bases, a base of those
//! (`common`), and a component, each kustomization drawing fields from everything
//! upstream v5.7.1 reads: resources, generators with their sources, options and
//! behaviours, patches of every form with targets and options, the builtin transformer
//! fields, `transformers:`/`generators:` inline and as files, replacements, vars,
//! configurations, openapi, sortOptions, buildMetadata. Names come from a small pool so
//! that layers touch the same resources (renamed, patched, referred to); values and keys
//! are drawn in every YAML surface form (`0x1F`, `~`, `yes`, quoted, block scalars, flow,
//! anchors, comments, CRLF, BOM, JSON files, long and unicode strings).

use crate::rng::Rng;
use crate::tree::{Content, File, Tree};
use crate::yaml::{Scalar, Y};

/// The tree for `seed`.
pub fn generate(seed: u64) -> Tree {
    let mut g = Gen {
        rng: Rng::new(seed),
        files: Vec::new(),
        names: Vec::new(),
        dir: "",
        visible: &[],
        anchors: 0,
    };
    g.tree()
}

struct Gen {
    rng: Rng,
    files: Vec<File>,
    /// (directory, kind, name) of the resources made so far, for references, patches and
    /// targets.
    names: Vec<(&'static str, &'static str, String)>,
    /// The directory being made, and the directories whose resources it sees.
    dir: &'static str,
    visible: &'static [&'static str],
    anchors: usize,
}

const NAMES: &[&str] = &["web", "db", "app", "cache", "api", "x1", "front-end", "a.b"];
const KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "StatefulSet",
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Ingress",
    "Widget",
    "HorizontalPodAutoscaler",
];
const IMAGES: &[&str] = &[
    "nginx",
    "nginx:1.21",
    "registry.example.com/team/web:v1",
    "busybox@sha256:24fd2be6f6e75d5c67d0b4a8d1a3c2f5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1",
    "postgres:13.2-alpine",
];
/// Scalars in every YAML 1.1 and 1.2 form that resolves to something other than a plain
/// string somewhere.
const TRICKY: &[&str] = &[
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "+12",
    "-0",
    "3.0",
    "1.50",
    "~",
    "null",
    "Null",
    "",
    "True",
    "false",
    "yes",
    "no",
    "y",
    "n",
    "on",
    "off",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "12:30:45",
    "0b101",
    "1:30",
    "=",
    "<<",
    "12345678901234567890",
];
const WORDS: &[&str] = &[
    "hello",
    "a b c",
    "héllo wörld 日本",
    "emoji 🎉 here",
    "key=value",
    "$(NOT_A_VAR)",
    "trailing space ",
    "with: colon",
    "#hash",
    "*star",
    "- dash",
];

impl Gen {
    fn chance(&mut self, p: u32) -> bool {
        self.rng.chance(p)
    }

    fn tree(&mut self) -> Tree {
        let common = self.chance(30);
        let base2 = self.chance(25);
        let comp = self.chance(40);
        if common {
            self.dir("common", Role::Base, &[]);
        }
        let base_bases: Vec<&str> = if common { vec!["../common"] } else { vec![] };
        self.dir("base", Role::Base, &base_bases);
        if base2 {
            self.dir("base2", Role::Base, &[]);
        }
        if comp {
            self.dir("comp", Role::Component, &[]);
        }
        let mut bases = vec!["../base"];
        if base2 {
            bases.push("../base2");
        }
        if comp {
            bases.push("COMPONENT");
        }
        self.dir("overlay", Role::Top, &bases);
        Tree {
            files: std::mem::take(&mut self.files),
            build: "overlay".into(),
        }
    }

    /// A directory: its resource files and its kustomization.
    fn dir(&mut self, dir: &'static str, role: Role, bases: &[&str]) {
        self.dir = dir;
        // What a kustomization's fields may name: its own resources and its bases' (a
        // component works on everything its overlay accumulated before it).
        self.visible = match dir {
            "common" => &["common"],
            "base" => &["common", "base"],
            "base2" => &["base2"],
            _ => &["common", "base", "base2", "comp", "overlay"],
        };
        let mut resources: Vec<Y> = Vec::new();
        let files = if role == Role::Top {
            self.rng.range(0, 1)
        } else {
            self.rng.range(usize::from(role != Role::Component), 2)
        };
        for i in 0..files {
            let json = self.chance(10);
            let name = if json {
                format!("res{i}.json")
            } else {
                format!("res{i}.yaml")
            };
            let count = if json { 1 } else { self.rng.range(1, 4) };
            let docs: Vec<Y> = (0..count).map(|_| self.resource()).collect();
            let mut file = File::docs(format!("{dir}/{name}"), docs);
            if json {
                if let Content::Docs { docs, .. } = &file.content {
                    file.content = Content::Json(docs[0].clone());
                }
            } else if let Content::Docs {
                leading, comments, ..
            } = &mut file.content
            {
                *leading = self.rng.chance(20);
                *comments = self.rng.chance(15);
            }
            file.crlf = self.chance(4);
            file.bom = self.chance(3);
            self.files.push(file);
            resources.push(Y::s(name));
        }
        let mut components = Vec::new();
        for b in bases {
            if *b == "COMPONENT" {
                components.push(Y::s("../comp"));
            } else {
                resources.push(Y::s(*b));
            }
        }
        let mut fields: Vec<(Scalar, Y)> = Vec::new();
        if role == Role::Component {
            fields.push((
                Scalar::plain("apiVersion"),
                Y::s("kustomize.config.k8s.io/v1alpha1"),
            ));
            fields.push((Scalar::plain("kind"), Y::s("Component")));
        } else if self.chance(30) {
            fields.push((
                Scalar::plain("apiVersion"),
                Y::s("kustomize.config.k8s.io/v1beta1"),
            ));
            fields.push((Scalar::plain("kind"), Y::s("Kustomization")));
        }
        if !resources.is_empty() {
            fields.push((
                Scalar::plain("resources"),
                Y::L(resources, self.rng.chance(15)),
            ));
        }
        if !components.is_empty() {
            fields.push((Scalar::plain("components"), Y::list(components)));
        }
        let optional: &[(&str, u32)] = &[
            ("namePrefix", 25),
            ("nameSuffix", 15),
            ("namespace", 25),
            ("commonLabels", 25),
            ("labels", 20),
            ("commonAnnotations", 25),
            ("images", 20),
            ("replicas", 12),
            ("configMapGenerator", 30),
            ("secretGenerator", 15),
            ("generatorOptions", 12),
            ("patches", 30),
            ("patchesStrategicMerge", 10),
            ("patchesJson6902", 10),
            ("replacements", 15),
            ("vars", 8),
            ("transformers", 15),
            ("generators", 8),
            ("configurations", 6),
            ("openapi", 3),
            ("sortOptions", 15),
            ("buildMetadata", 12),
        ];
        for &(field, p) in optional {
            if (field == "sortOptions" || field == "buildMetadata") && role != Role::Top {
                continue;
            }
            if self.chance(p) {
                if let Some(v) = self.field(dir, field) {
                    fields.push((Scalar::plain(field), v));
                }
            }
        }
        // Key order is the writer's: shuffled now and then.
        if self.chance(30) {
            for i in (1..fields.len()).rev() {
                let j = self.rng.below(i + 1);
                fields.swap(i, j);
            }
        }
        self.files.push(File::docs(
            format!("{dir}/kustomization.yaml"),
            vec![Y::M(fields, false)],
        ));
    }

    /// A scalar value in one of the forms users write.
    fn value(&mut self) -> Y {
        let text = match self.rng.below(10) {
            0..=3 => self.rng.pick(TRICKY).to_string(),
            4..=6 => self.rng.pick(WORDS).to_string(),
            7 => {
                "x".repeat(self.rng.range(1, 3))
                    + &" long words to fold at eighty columns".repeat(self.rng.range(2, 4))
            }
            _ => format!("v{}", self.rng.below(100)),
        };
        let plain_ok = !text.starts_with([' ', '#', '*', '-', '&', '!', '|', '>', '%', '@', '`'])
            && !text.contains(": ")
            && !text.ends_with(' ')
            && !text.contains(" #");
        match self.rng.below(10) {
            0..=4 if plain_ok => Y::s(text),
            0..=6 => Y::S(Scalar::Double(text)),
            7 | 8 => Y::S(Scalar::Single(text)),
            _ => {
                let mut lines: Vec<String> = text.split(' ').map(str::to_owned).collect();
                if self.chance(30) {
                    lines.push(String::new());
                }
                if lines
                    .iter()
                    .any(|l| l.starts_with(' ') || l.is_empty() && lines.len() == 1)
                {
                    return Y::S(Scalar::Double(text));
                }
                Y::S(Scalar::Block {
                    folded: self.chance(40),
                    chomp: *self.rng.pick(&['-', '+', ' ']),
                    indent: if self.chance(20) { Some(2) } else { None },
                    lines,
                })
            }
        }
    }

    /// A short name-like value.
    fn word(&mut self) -> String {
        self.rng.pick(NAMES).to_string()
    }

    /// A string map with keys from `keys` and, when `tricky`, values in tricky forms. In a
    /// kustomization (`strict`) a value that is not a string is an error upstream: such
    /// values are mostly quoted there.
    fn string_map(&mut self, keys: &[&str], tricky: bool) -> Y {
        self.string_map_in(keys, tricky, false)
    }

    fn strict_map(&mut self, keys: &[&str]) -> Y {
        self.string_map_in(keys, true, true)
    }

    fn string_map_in(&mut self, keys: &[&str], tricky: bool, strict: bool) -> Y {
        let n = self.rng.range(1, 3);
        let mut entries = Vec::new();
        let duplicates = self.chance(3);
        for _ in 0..n {
            let k = self.rng.pick(keys).to_string();
            if !duplicates
                && entries
                    .iter()
                    .any(|(e, _)| matches!(e, Scalar::Plain(t) if *t == k))
            {
                continue;
            }
            let v = if tricky && self.chance(50) {
                match self.value() {
                    Y::S(Scalar::Plain(t)) if strict && !self.chance(5) => Y::S(Scalar::Double(t)),
                    v => v,
                }
            } else {
                Y::s(self.word())
            };
            entries.push((Scalar::plain(k), v));
        }
        Y::M(entries, self.chance(20))
    }

    /// A new name for a resource of `kind` (now and then one already taken: a conflict).
    fn name_for(&mut self, kind: &'static str) -> String {
        let taken = self.visible_names(kind);
        let conflict = !taken.is_empty() && self.chance(2);
        let mut name = if conflict {
            self.rng.pick(&taken).clone()
        } else {
            self.word()
        };
        let mut n = 0;
        while !conflict && taken.contains(&name) {
            n += 1;
            name = format!("{}-{n}", self.word());
        }
        self.names.push((self.dir, kind, name.clone()));
        name
    }

    /// The names of `kind` this directory sees.
    fn visible_names(&self, kind: &str) -> Vec<String> {
        self.names
            .iter()
            .filter(|(d, k, _)| *k == kind && self.visible.contains(d))
            .map(|(_, _, n)| n.clone())
            .collect()
    }

    /// A name of `kind` this directory sees (now and then any name).
    fn known(&mut self, kind: &str) -> String {
        let of_kind = self.visible_names(kind);
        if of_kind.is_empty() || self.chance(2) {
            return self.word();
        }
        self.rng.pick(&of_kind).clone()
    }

    fn meta(&mut self, name: &str) -> Y {
        let mut entries = vec![(Scalar::plain("name"), Y::s(name))];
        if self.chance(30) {
            entries.push((
                Scalar::plain("labels"),
                self.string_map(&["app", "tier", "team"], false),
            ));
        }
        if self.chance(25) {
            entries.push((
                Scalar::plain("annotations"),
                self.string_map(&["note", "owner", "a.b/c"], true),
            ));
        }
        if self.chance(10) {
            entries.push((Scalar::plain("namespace"), Y::s(self.word())));
        }
        Y::M(entries, false)
    }

    /// A resource of a random kind.
    fn resource(&mut self) -> Y {
        let kind = *self.rng.pick(KINDS);
        let name = self.name_for(kind);
        let api = match kind {
            "Deployment" | "StatefulSet" => "apps/v1",
            "Role" | "RoleBinding" => "rbac.authorization.k8s.io/v1",
            "Ingress" => "networking.k8s.io/v1",
            "Widget" => "example.com/v1",
            "HorizontalPodAutoscaler" => "autoscaling/v2",
            _ => "v1",
        };
        let meta = self.meta(&name);
        let mut doc = vec![
            (Scalar::plain("apiVersion"), Y::s(api)),
            (Scalar::plain("kind"), Y::s(kind)),
            (Scalar::plain("metadata"), meta),
        ];
        match kind {
            "ConfigMap" => {
                let keys: &[&str] = if self.chance(5) {
                    &["k", "0"]
                } else {
                    &["k", "key.txt", "n"]
                };
                doc.push((Scalar::plain("data"), self.string_map(keys, true)))
            }
            "Secret" => {
                doc.push((Scalar::plain("type"), Y::s("Opaque")));
                let field = if self.chance(50) {
                    "data"
                } else {
                    "stringData"
                };
                doc.push((
                    Scalar::plain(field),
                    Y::map(vec![("password", Y::s("cGFzcw=="))]),
                ));
            }
            "Deployment" | "StatefulSet" => {
                doc.push((Scalar::plain("spec"), self.workload_spec(&name, kind)))
            }
            "Service" => {
                let port = Y::map(vec![
                    ("port", Y::s("80")),
                    (
                        "targetPort",
                        if self.chance(50) {
                            Y::s("8080")
                        } else {
                            Y::s("http")
                        },
                    ),
                ]);
                doc.push((
                    Scalar::plain("spec"),
                    Y::map(vec![
                        ("selector", Y::map(vec![("app", Y::s(name.as_str()))])),
                        ("ports", Y::list(vec![port])),
                    ]),
                ));
            }
            "RoleBinding" => {
                let role = self.known("Role");
                let sa = self.known("ServiceAccount");
                doc.push((
                    Scalar::plain("roleRef"),
                    Y::map(vec![
                        ("apiGroup", Y::s("rbac.authorization.k8s.io")),
                        ("kind", Y::s("Role")),
                        ("name", Y::s(role)),
                    ]),
                ));
                let mut subject = vec![("kind", Y::s("ServiceAccount")), ("name", Y::s(sa))];
                if self.chance(40) {
                    subject.push(("namespace", Y::s(self.word())));
                }
                doc.push((Scalar::plain("subjects"), Y::list(vec![Y::map(subject)])));
            }
            "Role" => doc.push((
                Scalar::plain("rules"),
                Y::list(vec![Y::map(vec![
                    (
                        "apiGroups",
                        Y::L(vec![Y::S(Scalar::Double(String::new()))], true),
                    ),
                    ("resources", Y::L(vec![Y::s("configmaps")], true)),
                    ("verbs", Y::L(vec![Y::s("get")], true)),
                ])]),
            )),
            "Ingress" => {
                let svc = self.known("Service");
                doc.push((
                    Scalar::plain("spec"),
                    Y::map(vec![(
                        "defaultBackend",
                        Y::map(vec![(
                            "service",
                            Y::map(vec![
                                ("name", Y::s(svc)),
                                ("port", Y::map(vec![("number", Y::s("80"))])),
                            ]),
                        )]),
                    )]),
                ));
            }
            "Widget" => {
                let v = self.value();
                let cm = self.known("ConfigMap");
                doc.push((
                    Scalar::plain("spec"),
                    Y::map(vec![
                        ("size", v),
                        ("configRef", Y::s(cm)),
                        ("items", Y::list(vec![Y::map(vec![("name", Y::s("one"))])])),
                    ]),
                ));
            }
            "HorizontalPodAutoscaler" => {
                let d = self.known("Deployment");
                doc.push((
                    Scalar::plain("spec"),
                    Y::map(vec![(
                        "scaleTargetRef",
                        Y::map(vec![
                            ("apiVersion", Y::s("apps/v1")),
                            ("kind", Y::s("Deployment")),
                            ("name", Y::s(d)),
                        ]),
                    )]),
                ));
            }
            _ => {}
        }
        Y::M(doc, false)
    }

    fn workload_spec(&mut self, name: &str, kind: &str) -> Y {
        let labels = Y::map(vec![("app", Y::s(name))]);
        let (selector_labels, template_labels) = if self.chance(20) {
            self.anchors += 1;
            let a = format!("l{}", self.anchors);
            (Y::Anchor(a.clone(), Box::new(labels)), Y::Alias(a))
        } else {
            (labels.clone(), labels)
        };
        let mut container = vec![
            ("name", Y::s(self.word())),
            ("image", Y::s(*self.rng.pick(IMAGES))),
        ];
        if self.chance(40) {
            let cm = self.known("ConfigMap");
            container.push((
                "env",
                Y::list(vec![Y::map(vec![
                    ("name", Y::s("E")),
                    (
                        "valueFrom",
                        Y::map(vec![(
                            "configMapKeyRef",
                            Y::map(vec![("name", Y::s(cm)), ("key", Y::s("k"))]),
                        )]),
                    ),
                ])]),
            ));
        }
        if self.chance(20) {
            container.push((
                "args",
                Y::L(
                    vec![Y::s("--name=$(VAR_A)"), Y::s("$(VAR_B)")],
                    self.chance(50),
                ),
            ));
        }
        if self.chance(30) {
            container.push((
                "ports",
                Y::list(vec![Y::map(vec![
                    ("containerPort", Y::s("8080")),
                    ("name", Y::s("http")),
                ])]),
            ));
        }
        let mut pod = vec![("containers", Y::list(vec![Y::map(container)]))];
        if self.chance(30) {
            let cm = self.known("ConfigMap");
            pod.push((
                "volumes",
                Y::list(vec![Y::map(vec![
                    ("name", Y::s("v")),
                    ("configMap", Y::map(vec![("name", Y::s(cm))])),
                ])]),
            ));
        }
        if self.chance(20) {
            let sa = self.known("ServiceAccount");
            pod.push(("serviceAccountName", Y::s(sa)));
        }
        let mut spec = vec![
            ("selector", Y::map(vec![("matchLabels", selector_labels)])),
            (
                "template",
                Y::map(vec![
                    ("metadata", Y::map(vec![("labels", template_labels)])),
                    ("spec", Y::map(pod)),
                ]),
            ),
        ];
        if self.chance(60) {
            spec.insert(
                0,
                (
                    "replicas",
                    Y::s(*self.rng.pick(&["1", "3", "0x2", "\"2\""])),
                ),
            );
        }
        if kind == "StatefulSet" {
            let svc = self.known("Service");
            spec.push(("serviceName", Y::s(svc)));
        }
        Y::map(spec)
    }

    /// A kustomization field's value (`None` to leave it out).
    fn field(&mut self, dir: &str, field: &str) -> Option<Y> {
        Some(match field {
            "namePrefix" => self.affix("p-"),
            "nameSuffix" => self.affix("-s"),
            "namespace" => Y::s(*self.rng.pick(&["ns1", "prod", "default", "kube-system"])),
            "commonLabels" => self.strict_map(&["env", "team", "app"]),
            "labels" => {
                let mut label = vec![("pairs", self.strict_map(&["env", "tier", "app"]))];
                if self.chance(50) {
                    label.push(("includeSelectors", Y::s(*self.rng.pick(&["true", "false"]))));
                }
                if self.chance(40) {
                    label.push(("includeTemplates", Y::s(*self.rng.pick(&["true", "false"]))));
                }
                if self.chance(15) {
                    label.push((
                        "fields",
                        Y::list(vec![Y::map(vec![
                            ("path", Y::s("spec/selector")),
                            ("kind", Y::s("Widget")),
                            ("create", Y::s("true")),
                        ])]),
                    ));
                }
                Y::list(vec![Y::map(label)])
            }
            "commonAnnotations" => self.strict_map(&["note", "owner", "build/id"]),
            "images" => {
                let mut image = vec![(
                    "name",
                    Y::s(*self.rng.pick(&[
                        "nginx",
                        "busybox",
                        "registry.example.com/team/web",
                        "postgres",
                        "ngin.*",
                    ])),
                )];
                if self.chance(60) {
                    image.push(("newTag", self.rng_tag()));
                }
                if self.chance(40) {
                    image.push(("newName", Y::s("mirror.example.com/img")));
                }
                if self.chance(15) {
                    image.push(("digest", Y::s("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")));
                }
                Y::list(vec![Y::map(image)])
            }
            "replicas" => {
                if self.visible_names("Deployment").is_empty() {
                    return None;
                }
                let d = self.known("Deployment");
                Y::list(vec![Y::map(vec![
                    ("name", Y::s(d)),
                    ("count", Y::s(*self.rng.pick(&["2", "5", "0"]))),
                ])])
            }
            "configMapGenerator" | "secretGenerator" => self.generator(dir, field),
            "generatorOptions" => {
                let mut o = Vec::new();
                if self.chance(50) {
                    o.push(("disableNameSuffixHash", Y::s("true")));
                }
                if self.chance(50) {
                    o.push(("labels", self.strict_map(&["gen", "team"])));
                }
                if self.chance(30) {
                    o.push(("annotations", self.strict_map(&["gen-note"])));
                }
                if self.chance(15) {
                    o.push(("immutable", Y::s("true")));
                }
                Y::map(o)
            }
            "patches" => {
                let n = self.rng.range(1, 2);
                let patches: Vec<Y> = (0..n).filter_map(|_| self.patch(dir)).collect();
                if patches.is_empty() {
                    return None;
                }
                Y::list(patches)
            }
            "patchesStrategicMerge" => {
                let p = self.smp()?;
                let file = format!("{dir}/smp.yaml");
                self.files.push(File::docs(file, vec![p]));
                Y::list(vec![Y::s("smp.yaml")])
            }
            "patchesJson6902" => {
                if self.visible_names("Deployment").is_empty() {
                    return None;
                }
                let d = self.known("Deployment");
                let ops = self.json_ops("Deployment");
                self.files
                    .push(File::docs(format!("{dir}/json.yaml"), vec![ops]));
                Y::list(vec![Y::map(vec![
                    (
                        "target",
                        Y::map(vec![
                            ("group", Y::s("apps")),
                            ("version", Y::s("v1")),
                            ("kind", Y::s("Deployment")),
                            ("name", Y::s(d)),
                        ]),
                    ),
                    ("path", Y::s("json.yaml")),
                ])])
            }
            "replacements" => Y::list(vec![self.replacement()?]),
            "vars" => {
                if self.visible_names("Service").is_empty()
                    || self.visible_names("ConfigMap").is_empty()
                {
                    return None;
                }
                let svc = self.known("Service");
                let cm = self.known("ConfigMap");
                Y::list(vec![
                    Y::map(vec![
                        ("name", Y::s("VAR_A")),
                        (
                            "objref",
                            Y::map(vec![
                                ("kind", Y::s("Service")),
                                ("name", Y::s(svc)),
                                ("apiVersion", Y::s("v1")),
                            ]),
                        ),
                    ]),
                    Y::map(vec![
                        ("name", Y::s("VAR_B")),
                        (
                            "objref",
                            Y::map(vec![
                                ("kind", Y::s("ConfigMap")),
                                ("name", Y::s(cm)),
                                ("apiVersion", Y::s("v1")),
                            ]),
                        ),
                        ("fieldref", Y::map(vec![("fieldPath", Y::s("data.k"))])),
                    ]),
                ])
            }
            "transformers" => {
                let t = self.builtin_transformer();
                if self.chance(50) {
                    let file = format!("{dir}/transformer.yaml");
                    self.files.push(File::docs(file, vec![t]));
                    Y::list(vec![Y::s("transformer.yaml")])
                } else {
                    Y::list(vec![Y::S(Scalar::Block {
                        folded: false,
                        chomp: '-',
                        indent: None,
                        lines: t.render().lines().map(str::to_owned).collect(),
                    })])
                }
            }
            "generators" => {
                let g = Y::map(vec![
                    ("apiVersion", Y::s("builtin")),
                    ("kind", Y::s("ConfigMapGenerator")),
                    ("metadata", Y::map(vec![("name", Y::s("made"))])),
                    ("literals", Y::list(vec![Y::s("a=1"), Y::s("b=yes")])),
                ]);
                self.files
                    .push(File::docs(format!("{dir}/generator.yaml"), vec![g]));
                Y::list(vec![Y::s("generator.yaml")])
            }
            "configurations" => {
                let c = Y::map(vec![
                    (
                        "nameReference",
                        Y::list(vec![Y::map(vec![
                            ("kind", Y::s("ConfigMap")),
                            (
                                "fieldSpecs",
                                Y::list(vec![Y::map(vec![
                                    ("kind", Y::s("Widget")),
                                    ("path", Y::s("spec/configRef")),
                                ])]),
                            ),
                        ])]),
                    ),
                    (
                        "commonLabels",
                        Y::list(vec![Y::map(vec![
                            ("kind", Y::s("Widget")),
                            ("path", Y::s("spec/selector")),
                            ("create", Y::s("true")),
                        ])]),
                    ),
                ]);
                self.files
                    .push(File::docs(format!("{dir}/config.yaml"), vec![c]));
                Y::list(vec![Y::s("config.yaml")])
            }
            "openapi" => Y::map(vec![("version", Y::s("v1.21.2"))]),
            "sortOptions" => {
                if self.chance(50) {
                    Y::map(vec![("order", Y::s("fifo"))])
                } else {
                    Y::map(vec![
                        ("order", Y::s("legacy")),
                        (
                            "legacySortOptions",
                            Y::map(vec![
                                (
                                    "orderFirst",
                                    Y::L(vec![Y::s("Service"), Y::s("ConfigMap")], true),
                                ),
                                ("orderLast", Y::L(vec![Y::s("Deployment")], true)),
                            ]),
                        ),
                    ])
                }
            }
            "buildMetadata" => {
                let all = [
                    "originAnnotations",
                    "transformerAnnotations",
                    "managedByLabel",
                ];
                let picked: Vec<Y> = all
                    .iter()
                    .filter(|_| self.rng.chance(50))
                    .map(|o| Y::s(*o))
                    .collect();
                if picked.is_empty() {
                    return None;
                }
                Y::L(picked, true)
            }
            _ => return None,
        })
    }

    fn affix(&mut self, plain: &str) -> Y {
        match self.rng.below(6) {
            0 => Y::s("0x1-"),
            1 => Y::S(Scalar::Single(plain.to_owned())),
            2 => Y::s("1-"),
            _ => Y::s(plain),
        }
    }

    fn rng_tag(&mut self) -> Y {
        match self.rng.below(20) {
            0 => Y::s("1.0"),
            1 => Y::s("017"),
            2..=6 => Y::S(Scalar::Double("3".into())),
            7..=11 => Y::s("latest"),
            _ => Y::s("v2"),
        }
    }

    fn generator(&mut self, dir: &str, field: &str) -> Y {
        let secret = field == "secretGenerator";
        let kind = if secret { "Secret" } else { "ConfigMap" };
        let existing = !self.visible_names(kind).is_empty() && self.chance(40);
        let name = if existing {
            self.known(kind)
        } else {
            self.name_for(kind)
        };
        let mut g = vec![("name", Y::s(name))];
        if existing || self.chance(10) {
            g.push((
                "behavior",
                Y::s(*self.rng.pick(&["merge", "replace", "create"])),
            ));
        }
        if self.chance(70) {
            let lits: Vec<Y> = (0..self.rng.range(1, 3))
                .map(|i| {
                    let v = *self.rng.pick(TRICKY);
                    Y::S(Scalar::Double(format!("{}={v}", ["k", "n", "x"][i % 3])))
                })
                .collect();
            g.push(("literals", Y::list(lits)));
        }
        if self.chance(30) {
            let file = format!("{dir}/app.properties");
            let crlf = self.chance(20);
            self.files.push(File {
                path: file,
                content: Content::Text("a=1\nb: two\n".into()),
                crlf,
                bom: false,
            });
            g.push(("files", Y::list(vec![Y::s("app.properties")])));
        }
        if self.chance(20) {
            let file = format!("{dir}/vars.env");
            self.files.push(File {
                path: file,
                content: Content::Text("# comment\nE1=one\nE2=\"quoted\"\nE3\n".into()),
                crlf: false,
                bom: false,
            });
            g.push(("envs", Y::list(vec![Y::s("vars.env")])));
        }
        if secret && self.chance(40) {
            g.push((
                "type",
                Y::s(*self.rng.pick(&["Opaque", "kubernetes.io/tls"])),
            ));
        }
        if self.chance(30) {
            let mut o = Vec::new();
            if self.chance(50) {
                o.push(("disableNameSuffixHash", Y::s("true")));
            }
            if self.chance(50) {
                o.push(("labels", self.strict_map(&["gen", "env"])));
            }
            g.push(("options", Y::map(o)));
        }
        Y::list(vec![Y::map(g)])
    }

    fn target(&mut self, kind: &str) -> Y {
        let mut t = vec![("kind", Y::s(kind))];
        match self.rng.below(5) {
            0 => {}
            1 => t.push(("name", Y::s(".*"))),
            2 => t.push(("labelSelector", Y::s("app"))),
            _ => {
                let n = self.known(kind);
                t.push(("name", Y::s(n)));
            }
        }
        Y::map(t)
    }

    fn patch(&mut self, dir: &str) -> Option<Y> {
        let kind = *self
            .rng
            .pick(&["Deployment", "ConfigMap", "Service", "Widget"]);
        if self.visible_names(kind).is_empty() && !self.chance(5) {
            return None;
        }
        let json = self.chance(45);
        let body = if json {
            self.json_ops(kind)
        } else {
            self.smp_for(kind)
        };
        let mut p = Vec::new();
        if self.chance(50) {
            let file = format!("{dir}/patch{}.yaml", self.rng.below(1000));
            let path = file.rsplit('/').next().unwrap_or_default().to_owned();
            self.files.push(File::docs(file, vec![body]));
            p.push(("path", Y::s(path)));
        } else {
            p.push((
                "patch",
                Y::S(Scalar::Block {
                    folded: false,
                    chomp: '-',
                    indent: None,
                    lines: body.render().lines().map(str::to_owned).collect(),
                }),
            ));
        }
        if json || self.chance(60) {
            p.push(("target", self.target(kind)));
        }
        if self.chance(10) {
            p.push(("options", Y::map(vec![("allowNameChange", Y::s("true"))])));
        }
        Some(Y::map(p))
    }

    /// A strategic-merge patch of a resource this directory sees, if any.
    fn smp(&mut self) -> Option<Y> {
        let kind = *self.rng.pick(&["Deployment", "ConfigMap"]);
        if self.visible_names(kind).is_empty() {
            return None;
        }
        Some(self.smp_for(kind))
    }

    /// A strategic-merge patch of a resource of `kind` made before.
    fn smp_for(&mut self, kind: &str) -> Y {
        let name = self.known(kind);
        let api = match kind {
            "Deployment" => "apps/v1",
            "Widget" => "example.com/v1",
            _ => "v1",
        };
        let meta = Y::map(vec![("name", Y::s(name))]);
        let body = match kind {
            "Deployment" => {
                let mut container = vec![("name", Y::s(self.word()))];
                if self.chance(50) {
                    container.push(("image", Y::s(*self.rng.pick(IMAGES))));
                }
                if self.chance(40) {
                    container.push((
                        "env",
                        Y::list(vec![Y::map(vec![
                            ("name", Y::s("P")),
                            ("value", self.value()),
                        ])]),
                    ));
                }
                let mut spec = vec![(
                    "template",
                    Y::map(vec![(
                        "spec",
                        Y::map(vec![("containers", Y::list(vec![Y::map(container)]))]),
                    )]),
                )];
                if self.chance(50) {
                    spec.insert(0, ("replicas", Y::s(*self.rng.pick(&["4", "0x3", "null"]))));
                }
                ("spec", Y::map(spec))
            }
            "Widget" => (
                "spec",
                Y::map(vec![(
                    "items",
                    Y::list(vec![Y::map(vec![("name", Y::s("two"))])]),
                )]),
            ),
            "Service" => (
                "spec",
                Y::map(vec![(
                    "ports",
                    Y::list(vec![Y::map(vec![
                        ("port", Y::s("443")),
                        ("name", Y::s("https")),
                    ])]),
                )]),
            ),
            _ => {
                if self.chance(10) {
                    ("$patch", Y::s("delete"))
                } else {
                    ("data", self.string_map(&["k", "extra"], true))
                }
            }
        };
        Y::map(vec![
            ("apiVersion", Y::s(api)),
            ("kind", Y::s(kind)),
            ("metadata", meta),
            body,
        ])
    }

    /// JSON 6902 operations on a resource of `kind`.
    fn json_ops(&mut self, kind: &str) -> Y {
        let paths: &[&str] = match kind {
            "Deployment" => &[
                "/spec/replicas",
                "/spec/template/spec/containers/0/image",
                "/spec/template/spec/containers/-",
                "/metadata/labels/added",
                "/metadata/annotations/added",
                "/spec/missing/x",
            ],
            "ConfigMap" => &["/data/k", "/data/new", "/data", "/metadata/annotations/a"],
            _ => &["/metadata/labels", "/spec", "/metadata/annotations/x~1y"],
        };
        let n = self.rng.range(1, 3);
        let ops: Vec<Y> = (0..n)
            .map(|_| {
                let op = *self.rng.pick(&[
                    "add", "add", "add", "add", "replace", "replace", "remove", "test", "copy",
                    "move",
                ]);
                let path = *self.rng.pick(paths);
                let mut o = vec![("op", Y::s(op)), ("path", Y::s(path))];
                match op {
                    // Now and then without a value (upstream puts null).
                    "add" | "replace" | "test" if !self.chance(10) => {
                        let v = if path.ends_with('-') {
                            Y::map(vec![("name", Y::s("side")), ("image", Y::s("busybox"))])
                        } else {
                            self.value()
                        };
                        o.push(("value", v));
                    }
                    "copy" | "move" => o.push(("from", Y::s(*self.rng.pick(paths)))),
                    _ => {}
                }
                Y::map(o)
            })
            .collect();
        Y::L(ops, self.chance(4))
    }

    fn replacement(&mut self) -> Option<Y> {
        let (src_kind, field) = *self.rng.pick(&[
            ("ConfigMap", "data.k"),
            ("Deployment", "metadata.name"),
            ("Service", "spec.ports.0.port"),
            ("ConfigMap", "metadata.annotations.note"),
        ]);
        if self.visible_names(src_kind).is_empty() {
            return None;
        }
        let src = self.known(src_kind);
        let mut source = vec![
            ("kind", Y::s(src_kind)),
            ("name", Y::s(src)),
            ("fieldPath", Y::s(field)),
        ];
        if self.chance(15) {
            source.push((
                "options",
                Y::map(vec![
                    ("delimiter", Y::S(Scalar::Single("-".into()))),
                    ("index", Y::s("0")),
                ]),
            ));
        }
        let target_path = *self.rng.pick(&[
            "spec.template.spec.containers.0.image",
            "spec.template.spec.containers.[name=web].image",
            "metadata.annotations.copied",
            "spec.replicas",
            "data.k",
            "spec.template.metadata.labels.copied",
        ]);
        let mut target = vec![
            (
                "select",
                Y::map(vec![(
                    "kind",
                    Y::s(*self.rng.pick(&["Deployment", "ConfigMap"])),
                )]),
            ),
            ("fieldPaths", Y::list(vec![Y::s(target_path)])),
        ];
        if self.chance(40) {
            let mut o = vec![("create", Y::s("true"))];
            if self.chance(30) {
                o.push(("delimiter", Y::S(Scalar::Double(":".into()))));
                o.push(("index", Y::s("1")));
            }
            target.push(("options", Y::map(o)));
        }
        if self.chance(15) {
            target.push((
                "reject",
                Y::list(vec![Y::map(vec![("name", Y::s(self.word()))])]),
            ));
        }
        Some(Y::map(vec![
            ("source", Y::map(source)),
            ("targets", Y::list(vec![Y::map(target)])),
        ]))
    }

    fn builtin_transformer(&mut self) -> Y {
        let kind = *self.rng.pick(&[
            "PrefixSuffixTransformer",
            "LabelTransformer",
            "AnnotationsTransformer",
            "NamespaceTransformer",
            "ImageTagTransformer",
            "ReplicaCountTransformer",
        ]);
        let mut t = vec![
            ("apiVersion", Y::s("builtin")),
            ("kind", Y::s(kind)),
            (
                "metadata",
                Y::map(vec![("name", Y::s("t")), ("namespace", Y::s("tns"))]),
            ),
        ];
        match kind {
            "PrefixSuffixTransformer" => {
                t.push(("prefix", Y::s("pre-")));
                t.push(("suffix", Y::s("-suf")));
                t.push((
                    "fieldSpecs",
                    Y::list(vec![Y::map(vec![("path", Y::s("metadata/name"))])]),
                ));
            }
            "LabelTransformer" => {
                t.push(("labels", self.strict_map(&["lt", "env"])));
                t.push((
                    "fieldSpecs",
                    Y::list(vec![Y::map(vec![
                        ("path", Y::s("metadata/labels")),
                        ("create", Y::s("true")),
                    ])]),
                ));
            }
            "AnnotationsTransformer" => {
                t.push(("annotations", self.strict_map(&["at"])));
                t.push((
                    "fieldSpecs",
                    Y::list(vec![Y::map(vec![
                        ("path", Y::s("metadata/annotations")),
                        ("create", Y::s("true")),
                    ])]),
                ));
            }
            "NamespaceTransformer" => {
                t.push((
                    "fieldSpecs",
                    Y::list(vec![Y::map(vec![
                        ("path", Y::s("metadata/namespace")),
                        ("create", Y::s("true")),
                    ])]),
                ));
                if self.chance(40) {
                    t.push(("unsetOnly", Y::s("true")));
                }
            }
            "ImageTagTransformer" => {
                t.push((
                    "imageTag",
                    Y::map(vec![("name", Y::s("nginx")), ("newTag", self.rng_tag())]),
                ));
            }
            _ => {
                let d = self.known("Deployment");
                t.push((
                    "replica",
                    Y::map(vec![("name", Y::s(d)), ("count", Y::s("7"))]),
                ));
                t.push((
                    "fieldSpecs",
                    Y::list(vec![Y::map(vec![
                        ("path", Y::s("spec/replicas")),
                        ("create", Y::s("true")),
                    ])]),
                ));
            }
        }
        Y::map(t)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Base,
    Component,
    Top,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_makes_the_same_tree() {
        for seed in [0, 1, 42, 1 << 40] {
            let (a, b) = (generate(seed), generate(seed));
            assert_eq!(a, b);
            let bytes = |t: &Tree| -> Vec<(String, Vec<u8>)> {
                t.files
                    .iter()
                    .map(|f| (f.path.clone(), f.render()))
                    .collect()
            };
            assert_eq!(bytes(&a), bytes(&b));
        }
        assert_ne!(generate(1), generate(2));
    }

    #[test]
    fn trees_have_a_top_kustomization_and_use_many_features() {
        let mut features = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let t = generate(seed);
            assert!(t
                .files
                .iter()
                .any(|f| f.path == "overlay/kustomization.yaml"));
            features.extend(t.features());
        }
        for f in [
            "field:patches",
            "field:replacements",
            "field:configMapGenerator",
            "field:components",
            "field:vars",
            "yaml:anchor",
            "yaml:flow",
            "yaml:json-file",
            "scalar:hex",
            "scalar:literal",
            "scalar:folded",
        ] {
            assert!(features.contains(f), "{f} never drawn");
        }
    }
}
