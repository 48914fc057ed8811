//! STUB: replaced by the go-yaml v2 emitter.
use crate::{Error, Value};

/// Appends one document to `out`.
pub fn emit_document(_v: &Value, _out: &mut String) -> Result<(), Error> {
    Err(Error::Other("not implemented".into()))
}

/// All documents joined by `---\n`.
pub fn emit_documents(docs: &[Value]) -> Result<String, Error> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_document(d, &mut out)?;
    }
    Ok(out)
}
