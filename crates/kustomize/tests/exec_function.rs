//! Exec KRM functions with `--enable-exec` (which kubectl's kustomize, our reference, does
//! not have): the function in testdata rewrites a value and drops a ConfigMap, the
//! generator adds a Service.

use std::path::Path;
use std::sync::Arc;

use kustomize::fs::DiskFs;
use kustomize::PluginOptions;
use kustomize::{Kustomizer, Options};

#[test]
fn exec_functions_transform_and_generate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cases/exec-function-not-enabled/in");
    let options = Options {
        plugins: PluginOptions {
            alpha: true,
            exec: true,
        },
        ..Options::default()
    };
    let out = Kustomizer::new(options)
        .build(Arc::new(DiskFs), &dir)
        .unwrap();
    assert_eq!(
        out.resources.to_yaml().unwrap(),
        "apiVersion: v1\ndata:\n  message: bye\nkind: ConfigMap\nmetadata:\n  name: greeting\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: made\nspec:\n  ports:\n  - port: 80\n"
    );
}

#[test]
fn external_plugins_need_alpha_plugins() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cases/exec-function-not-enabled/in");
    let err = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), &dir)
        .unwrap_err();
    assert_eq!(err.kind(), kustomize::ErrorKind::Denied, "{err}");
    assert!(
        matches!(
            err.root(),
            kustomize::Error::Denied {
                capability: kustomize::Capability::Plugins,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.chain().contains("Options::plugins.alpha"), "{err}");
}
