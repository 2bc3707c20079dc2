//! The contract's marker block, which is how a later sync recognises the
//! issue it (or an earlier tool) made for a plan item, plus PASS's body hash
//! that tells a person's edit apart from PASS's own text.

use sha2::{Digest, Sha256};
use uuid::Uuid;

const RUN_ID_KEY: &str = "PASS-Run-Id";
const PLAN_ITEM_KEY: &str = "PASS-Plan-Item-Id";
const BODY_SHA_KEY: &str = "PASS-Body-Sha256";

/// The fields of a marker block found at the end of an issue body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub run_id: String,
    pub plan_item_id: String,
    /// Absent in blocks written by the seed's tools.
    pub body_sha256: Option<String>,
}

impl Marker {
    /// Whether this block names `run_id` (compared as a UUID, so case does not matter).
    pub fn is_for_run(&self, run_id: Uuid) -> bool {
        Uuid::parse_str(&self.run_id).is_ok_and(|id| id == run_id)
    }
}

/// An issue body split into what sits above the marker, the marker itself,
/// and whatever someone put below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedBody {
    /// The text above the block, line endings normalised to `\n`, trailing space trimmed.
    pub content: String,
    pub marker: Marker,
    /// Text below the block, trimmed; PASS never writes any, so a non-empty
    /// one was appended by a person or a bot.
    pub trailing: String,
}

impl MarkedBody {
    /// True when the body is no longer what PASS last wrote: the text above
    /// the block changed, or text was appended below it. Blocks without a
    /// hash cannot tell the former, so only the latter counts for them.
    pub fn edited_since_written(&self) -> bool {
        !self.trailing.is_empty()
            || self
                .marker
                .body_sha256
                .as_deref()
                .is_some_and(|sha| !sha.eq_ignore_ascii_case(&content_sha256(&self.content)))
    }
}

/// The hash recorded in `PASS-Body-Sha256`: SHA-256 of the content above the
/// block, with `\r\n` read as `\n` and trailing white space ignored, because
/// GitHub's web editor rewrites line endings without anyone changing a word.
pub fn content_sha256(content: &str) -> String {
    let normalised = normalise(content);
    hex::encode(Sha256::digest(normalised.trim_end().as_bytes()))
}

/// The full body PASS writes: `content`, then the block naming the run, the
/// plan item and the content's hash.
pub fn render_body(content: &str, run_id: Uuid, plan_item_id: &str) -> String {
    let content = normalise(content);
    let content = content.trim_end();
    format!(
        "{content}\n\n---\n{RUN_ID_KEY}: {run_id}\n{PLAN_ITEM_KEY}: {}\n{BODY_SHA_KEY}: {}",
        plan_item_id.trim(),
        content_sha256(content)
    )
}

/// Finds the marker block in `body`: the last `---` line followed directly
/// by `PASS-…: value` lines that include the run id and the plan item id.
/// Text after the block does not hide it (people and bots append comments
/// there); it is returned as [`MarkedBody::trailing`] so the sync treats it
/// as an edit instead of creating a second issue.
pub fn parse_body(body: &str) -> Option<MarkedBody> {
    let normalised = normalise(body);
    let lines: Vec<&str> = normalised.trim_end().lines().collect();
    let separators = (0..lines.len()).rev().filter(|&i| lines[i].trim() == "---");
    for separator in separators {
        let Some((marker, block_len)) = read_block(&lines[separator + 1..]) else {
            continue;
        };
        let content = lines[..separator].join("\n").trim_end().to_owned();
        let trailing = lines[separator + 1 + block_len..]
            .join("\n")
            .trim()
            .to_owned();
        return Some(MarkedBody {
            content,
            marker,
            trailing,
        });
    }
    None
}

/// Reads the `PASS-…: value` lines at the start of `lines`; returns the
/// marker and how many lines it spans, or `None` when the run id or the plan
/// item id is missing.
fn read_block(lines: &[&str]) -> Option<(Marker, usize)> {
    let mut run_id = None;
    let mut plan_item_id = None;
    let mut body_sha256 = None;
    let mut len = 0;
    for line in lines {
        let Some((key, value)) = line.split_once(':') else {
            break;
        };
        let key = key.trim();
        let value = value.trim();
        if key.eq_ignore_ascii_case(RUN_ID_KEY) {
            run_id = Some(value.to_owned());
        } else if key.eq_ignore_ascii_case(PLAN_ITEM_KEY) {
            plan_item_id = Some(value.to_owned());
        } else if key.eq_ignore_ascii_case(BODY_SHA_KEY) {
            body_sha256 = Some(value.to_owned());
        } else if !key.starts_with("PASS-") {
            break;
        }
        len += 1;
    }
    let marker = Marker {
        run_id: run_id.filter(|v| !v.is_empty())?,
        plan_item_id: plan_item_id.filter(|v| !v.is_empty())?,
        body_sha256: body_sha256.filter(|v| !v.is_empty()),
    };
    Some((marker, len))
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10";

    fn run() -> Uuid {
        Uuid::parse_str(RUN).unwrap()
    }

    #[test]
    fn rendered_bodies_parse_back_and_are_not_edited() {
        let body = render_body("Do the thing.\n\n- [ ] done\n", run(), "issue-1");
        assert!(body.ends_with(&format!(
            "---\nPASS-Run-Id: {RUN}\nPASS-Plan-Item-Id: issue-1\nPASS-Body-Sha256: {}",
            content_sha256("Do the thing.\n\n- [ ] done")
        )));
        let parsed = parse_body(&body).unwrap();
        assert_eq!(parsed.content, "Do the thing.\n\n- [ ] done");
        assert_eq!(parsed.marker.plan_item_id, "issue-1");
        assert!(parsed.marker.is_for_run(run()));
        assert!(!parsed.edited_since_written());
    }

    #[test]
    fn the_seed_block_without_a_hash_is_recognised() {
        let body = format!(
            "Body text\n---\nPASS-Run-Id: {}\nPASS-Plan-Item-Id: api-1\n\n",
            RUN.to_uppercase()
        );
        let parsed = parse_body(&body).unwrap();
        assert_eq!(parsed.marker.body_sha256, None);
        assert!(parsed.marker.is_for_run(run()));
        assert!(!parsed.edited_since_written());
    }

    #[test]
    fn a_person_s_edit_is_noticed_but_line_endings_are_not_an_edit() {
        let body = render_body("Line one\nLine two", run(), "x");
        let crlf = body.replace('\n', "\r\n");
        assert!(!parse_body(&crlf).unwrap().edited_since_written());
        let edited = body.replace("Line two", "Line two, and more");
        assert!(parse_body(&edited).unwrap().edited_since_written());
    }

    #[test]
    fn bodies_without_a_final_block_are_not_marked() {
        assert_eq!(parse_body("plain issue"), None);
        assert_eq!(parse_body("a\n---\nb"), None);
        let missing_item = format!("x\n---\nPASS-Run-Id: {RUN}");
        assert_eq!(parse_body(&missing_item), None);
        let parsed = parse_body("x\n---\nPASS-Run-Id: not-a-uuid\nPASS-Plan-Item-Id: a").unwrap();
        assert!(!parsed.marker.is_for_run(run()));
    }

    #[test]
    fn text_appended_below_the_block_keeps_the_marker_and_counts_as_an_edit() {
        let body = render_body("Do it.\n\n---\nnot a block", run(), "a");
        let appended = format!("{body}\n\n> Triaged by bot: priority high\n---\nsignature");
        let parsed = parse_body(&appended).unwrap();
        assert_eq!(parsed.marker.plan_item_id, "a");
        assert!(parsed.marker.is_for_run(run()));
        assert_eq!(parsed.content, "Do it.\n\n---\nnot a block");
        assert_eq!(
            parsed.trailing,
            "> Triaged by bot: priority high\n---\nsignature"
        );
        assert!(parsed.edited_since_written());

        let seed = format!("x\n---\nPASS-Run-Id: {RUN}\nPASS-Plan-Item-Id: a\nmore text");
        let parsed = parse_body(&seed).unwrap();
        assert_eq!(parsed.trailing, "more text");
        assert!(
            parsed.edited_since_written(),
            "appended text is an edit even without a hash"
        );
        assert!(!parse_body(&body).unwrap().edited_since_written());
    }
}
