//! The contract's marker block, which is how a later sync recognises the
//! issue it (or an earlier tool) made for a plan item, and what PASS last
//! wrote into it, so a person's edit can be told apart from a plan change.
//!
//! ```text
//! ---
//! PASS-Run-Id: <the revision that last wrote the issue>
//! PASS-Plan-Item-Id: <item>
//! PASS-Body-Sha256: <hash of the text above the block, as PASS wrote it>
//! PASS-Project-Id: <project>
//! PASS-Title-Sha256: <hash of the title PASS wrote>
//! PASS-Labels: ["labels", "PASS wrote"]
//! ```
//!
//! The first two lines are the contract's (and all the seed wrote); the rest
//! are PASS's additions, each optional when read.

use sha2::{Digest, Sha256};
use uuid::Uuid;

const RUN_ID_KEY: &str = "PASS-Run-Id";
const PLAN_ITEM_KEY: &str = "PASS-Plan-Item-Id";
const BODY_SHA_KEY: &str = "PASS-Body-Sha256";
const PROJECT_KEY: &str = "PASS-Project-Id";
const TITLE_SHA_KEY: &str = "PASS-Title-Sha256";
const LABELS_KEY: &str = "PASS-Labels";

/// The fields of a marker block found at the end of an issue body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub run_id: String,
    pub plan_item_id: String,
    /// Absent in blocks written by the seed's tools.
    pub body_sha256: Option<String>,
    /// Absent in blocks written before projects existed.
    pub project_id: Option<String>,
    /// Absent in blocks written before PASS recorded titles.
    pub title_sha256: Option<String>,
    /// The labels PASS last wrote; absent before PASS recorded them.
    pub labels: Option<Vec<String>>,
}

impl Marker {
    /// Whether this block names `run_id` (compared as a UUID, so case does not matter).
    pub fn is_for_run(&self, run_id: Uuid) -> bool {
        Uuid::parse_str(&self.run_id).is_ok_and(|id| id == run_id)
    }

    /// The run id as a UUID, when it is one.
    pub fn run_uuid(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.run_id).ok()
    }

    /// The project id as a UUID, when the block has a valid one.
    pub fn project_uuid(&self) -> Option<Uuid> {
        self.project_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok())
    }
}

/// What PASS writes into a block.
#[derive(Debug, Clone, Copy)]
pub struct MarkerFields<'a> {
    pub run_id: Uuid,
    pub project_id: Uuid,
    pub plan_item_id: &'a str,
    /// Hash of the title PASS considers written (see [`title_sha256`]).
    pub title_sha256: &'a str,
    /// The labels PASS considers written.
    pub labels: &'a [String],
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

/// The hash recorded in `PASS-Body-Sha256`: SHA-256 of the content above the
/// block, with `\r\n` read as `\n` and trailing white space ignored, because
/// GitHub's web editor rewrites line endings without anyone changing a word.
pub fn content_sha256(content: &str) -> String {
    let normalised = normalise(content);
    hex::encode(Sha256::digest(normalised.trim_end().as_bytes()))
}

/// The hash recorded in `PASS-Title-Sha256`: of the title without the white
/// space around it.
pub fn title_sha256(title: &str) -> String {
    hex::encode(Sha256::digest(title.trim().as_bytes()))
}

/// The full body PASS writes: `content`, then the block.
pub fn render_body(content: &str, fields: MarkerFields<'_>) -> String {
    let content = normalise(content);
    let content = content.trim_end();
    let labels = serde_json::to_string(fields.labels).unwrap_or_else(|_| "[]".to_owned());
    format!(
        "{content}\n\n---\n{RUN_ID_KEY}: {}\n{PLAN_ITEM_KEY}: {}\n{BODY_SHA_KEY}: {}\n{PROJECT_KEY}: {}\n{TITLE_SHA_KEY}: {}\n{LABELS_KEY}: {labels}",
        fields.run_id,
        fields.plan_item_id.trim(),
        content_sha256(content),
        fields.project_id,
        fields.title_sha256,
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
    let mut project_id = None;
    let mut title_sha256 = None;
    let mut labels = None;
    let mut len = 0;
    for line in lines {
        let Some((key, value)) = line.split_once(':') else {
            break;
        };
        let key = key.trim();
        let value = value.trim();
        let slot = if key.eq_ignore_ascii_case(RUN_ID_KEY) {
            &mut run_id
        } else if key.eq_ignore_ascii_case(PLAN_ITEM_KEY) {
            &mut plan_item_id
        } else if key.eq_ignore_ascii_case(BODY_SHA_KEY) {
            &mut body_sha256
        } else if key.eq_ignore_ascii_case(PROJECT_KEY) {
            &mut project_id
        } else if key.eq_ignore_ascii_case(TITLE_SHA_KEY) {
            &mut title_sha256
        } else if key.eq_ignore_ascii_case(LABELS_KEY) {
            &mut labels
        } else if key.starts_with("PASS-") {
            len += 1;
            continue;
        } else {
            break;
        };
        *slot = Some(value.to_owned()).filter(|v| !v.is_empty());
        len += 1;
    }
    let marker = Marker {
        run_id: run_id?,
        plan_item_id: plan_item_id?,
        body_sha256,
        project_id,
        title_sha256,
        labels: labels.and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok()),
    };
    Some((marker, len))
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Why PASS commented on an issue; a comment carries its kind and key in a
/// hidden HTML comment, which is how a later sync knows it said it already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// The plan changed an issue a person changed too.
    PlanChange,
    /// The issue's plan item left the plan.
    Removed,
    /// The issue duplicates another issue of the same plan item.
    Duplicate,
}

impl CommentKind {
    fn as_str(self) -> &'static str {
        match self {
            CommentKind::PlanChange => "plan-change",
            CommentKind::Removed => "removed",
            CommentKind::Duplicate => "duplicate",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "plan-change" => Some(CommentKind::PlanChange),
            "removed" => Some(CommentKind::Removed),
            "duplicate" => Some(CommentKind::Duplicate),
            _ => None,
        }
    }
}

/// The hidden line that ends every comment PASS posts.
pub fn comment_tag(kind: CommentKind, key: &str) -> String {
    format!("<!-- PASS-Comment: {} {} -->", kind.as_str(), key.trim())
}

/// The kind and key of a comment PASS posted, or `None` for anyone else's.
pub fn parse_comment_tag(body: &str) -> Option<(CommentKind, String)> {
    body.lines().rev().find_map(|line| {
        let inner = line
            .trim()
            .strip_prefix("<!-- PASS-Comment:")?
            .strip_suffix("-->")?
            .trim();
        let (kind, key) = inner.split_once(' ').unwrap_or((inner, ""));
        Some((CommentKind::parse(kind)?, key.trim().to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10";

    fn run() -> Uuid {
        Uuid::parse_str(RUN).unwrap()
    }

    fn fields<'a>(item: &'a str, labels: &'a [String], title_sha: &'a str) -> MarkerFields<'a> {
        MarkerFields {
            run_id: run(),
            project_id: Uuid::from_u128(9),
            plan_item_id: item,
            title_sha256: title_sha,
            labels,
        }
    }

    #[test]
    fn rendered_bodies_parse_back_with_every_field() {
        let labels = vec!["b".to_owned(), "a, with comma".to_owned()];
        let title = title_sha256(" Title ");
        let body = render_body(
            "Do the thing.\n\n- [ ] done\n",
            fields("issue-1", &labels, &title),
        );
        let parsed = parse_body(&body).unwrap();
        assert_eq!(parsed.content, "Do the thing.\n\n- [ ] done");
        assert_eq!(parsed.marker.plan_item_id, "issue-1");
        assert!(parsed.marker.is_for_run(run()));
        assert_eq!(
            parsed.marker.body_sha256.as_deref(),
            Some(content_sha256("Do the thing.\n\n- [ ] done").as_str())
        );
        assert_eq!(parsed.marker.project_uuid(), Some(Uuid::from_u128(9)));
        assert_eq!(parsed.marker.title_sha256.as_deref(), Some(title.as_str()));
        assert_eq!(parsed.marker.labels, Some(labels));
        assert_eq!(title, title_sha256("Title"));
        assert!(parsed.trailing.is_empty());
    }

    #[test]
    fn the_seed_block_without_a_hash_is_recognised() {
        let body = format!(
            "Body text\n---\nPASS-Run-Id: {}\nPASS-Plan-Item-Id: api-1\n\n",
            RUN.to_uppercase()
        );
        let parsed = parse_body(&body).unwrap();
        assert_eq!(parsed.marker.body_sha256, None);
        assert_eq!(parsed.marker.project_id, None);
        assert_eq!(parsed.marker.labels, None);
        assert!(parsed.marker.is_for_run(run()));
    }

    #[test]
    fn line_endings_do_not_change_the_content_hash() {
        let body = render_body("Line one\nLine two", fields("x", &[], "t"));
        let crlf = parse_body(&body.replace('\n', "\r\n")).unwrap();
        assert_eq!(
            content_sha256(&crlf.content),
            crlf.marker.body_sha256.unwrap()
        );
    }

    #[test]
    fn bodies_without_a_final_block_are_not_marked() {
        assert_eq!(parse_body("plain issue"), None);
        assert_eq!(parse_body("a\n---\nb"), None);
        let missing_item = format!("x\n---\nPASS-Run-Id: {RUN}");
        assert_eq!(parse_body(&missing_item), None);
        let parsed = parse_body("x\n---\nPASS-Run-Id: not-a-uuid\nPASS-Plan-Item-Id: a").unwrap();
        assert!(!parsed.marker.is_for_run(run()));
        assert_eq!(parsed.marker.run_uuid(), None);
    }

    #[test]
    fn text_appended_below_the_block_keeps_the_marker() {
        let body = render_body("Do it.\n\n---\nnot a block", fields("a", &[], "t"));
        let appended = format!("{body}\n\n> Triaged by bot: priority high\n---\nsignature");
        let parsed = parse_body(&appended).unwrap();
        assert_eq!(parsed.marker.plan_item_id, "a");
        assert_eq!(parsed.content, "Do it.\n\n---\nnot a block");
        assert_eq!(
            parsed.trailing,
            "> Triaged by bot: priority high\n---\nsignature"
        );
        let unknown_line =
            format!("x\n---\nPASS-Run-Id: {RUN}\nPASS-Future: 1\nPASS-Plan-Item-Id: a");
        assert_eq!(parse_body(&unknown_line).unwrap().marker.plan_item_id, "a");
    }

    #[test]
    fn comment_tags_round_trip_and_other_comments_have_none() {
        let tag = comment_tag(CommentKind::PlanChange, "abc123");
        let body = format!("The plan changed.\n\n{tag}");
        assert_eq!(
            parse_comment_tag(&body),
            Some((CommentKind::PlanChange, "abc123".to_owned()))
        );
        assert_eq!(
            parse_comment_tag(&comment_tag(CommentKind::Removed, "")),
            Some((CommentKind::Removed, String::new()))
        );
        assert_eq!(parse_comment_tag("LGTM, working on it"), None);
        assert_eq!(parse_comment_tag("<!-- PASS-Comment: unknown x -->"), None);
    }
}
