//! Parses a file and prints it as upstream would (a debugging aid):
//! `probe [--yaml11] FILE` (default schema: kyaml, as for resources).
use kustomize_yaml::Schema;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let schema = if args.first().is_some_and(|a| a == "--yaml11") {
        args.remove(0);
        Schema::Yaml11
    } else {
        Schema::Kyaml
    };
    let path = args.first().expect("usage: probe [--yaml11] FILE");
    let src = std::fs::read_to_string(path).expect("readable file");
    let result = kustomize_yaml::parse_documents(&src, schema)
        .and_then(|docs| kustomize_yaml::emit_documents(&docs));
    match result {
        Ok(out) => print!("{out}"),
        Err(e) => println!("ERR {e}"),
    }
}
