//! One spelling of JSON paths for every error PASS reports: `a.b[2].c`.

use std::fmt::Write as _;

/// Renders a `serde_path_to_error` path in the dotted form.
pub fn render_serde_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            serde_path_to_error::Segment::Map { key } => push_key(&mut out, key),
            serde_path_to_error::Segment::Enum { variant } => push_key(&mut out, variant),
            serde_path_to_error::Segment::Unknown => push_key(&mut out, "?"),
        }
    }
    out
}

/// Renders a JSON Pointer (`/a/b/2/c`) in the dotted form; numeric segments
/// become indexes.
pub fn render_json_pointer(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            let _ = write!(out, "[{segment}]");
        } else {
            push_key(&mut out, &segment);
        }
    }
    out
}

fn push_key(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_render_as_dotted_paths() {
        assert_eq!(render_json_pointer(""), "");
        assert_eq!(
            render_json_pointer("/architecture/components/2/type"),
            "architecture.components[2].type"
        );
        assert_eq!(render_json_pointer("/a~1b/0/0"), "a/b[0][0]");
    }
}
