//! Mermaid on the server: the issue plan's dependency graph generated from
//! the validated pack, and any diagram rendered to SVG in Rust
//! (`mermaid-rs-renderer`), so the console and the HTML export show a
//! picture with no script at all.

use std::collections::BTreeMap;

use pass_contracts::ArchitecturePack;
use url::Url;

/// Why a diagram could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DiagramError {
    /// The source is not Mermaid the renderer can read.
    #[error("the Mermaid source does not parse: {0}")]
    Parse(String),
    /// The renderer produced markup the console refuses to put in a page.
    #[error("the rendered SVG contains {0}, which the console does not embed")]
    Unsafe(&'static str),
}

/// Makes text safe inside a quoted node label or an edge label for the
/// renderer: it prints `<`, `&` and the like as text itself (and does not
/// decode Mermaid's `#quot;` codes), but a quote ends a label, and `;`, `%%`,
/// `|` and `--` end or split statements in an edge label, so those become
/// look-alikes.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = '\0';
    for c in text.chars() {
        match c {
            '"' => out.push('\''),
            ';' => out.push('\u{37e}'),
            '|' => out.push('\u{a6}'),
            '%' if previous == '%' => out.push_str(" %"),
            '-' if previous == '-' => {
                out.pop();
                out.push('\u{2013}');
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
        previous = c;
    }
    out
}

/// The Mermaid codes the planner writes for GitHub's renderer, decoded.
fn decode_codes(text: &str) -> String {
    text.replace("#quot;", "\"")
        .replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#96;", "`")
        .replace("#124;", "|")
        .replace("#amp;", "&")
        // Last: `#35;amp;` is the text `#amp;`, not `&`.
        .replace("#35;", "#")
}

/// The planner's diagram (written for GitHub's Mermaid, with `#quot;`-style
/// codes and quoted edge labels) in the form this renderer reads: every quoted
/// text decoded and escaped with [`label`], edge labels unquoted.
pub fn for_renderer(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let after = &after[1..];
        let Some(end) = after.find('"') else {
            out.push_str(after);
            return out;
        };
        let text = label(&decode_codes(&after[..end]));
        if before.ends_with('|') {
            out.push_str(&text);
        } else {
            out.push('"');
            out.push_str(&text);
            out.push('"');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a link may go into a diagram: web pages and local issue files,
/// never a scheme that runs code.
pub fn is_linkable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "file")
}

/// The issue plan as a flowchart for this renderer (`pass_diagrams`' graph,
/// the same one the summary shows) with a `click` link on every item that
/// has an issue.
pub fn issue_graph(pack: &ArchitecturePack, links: &BTreeMap<String, Url>) -> String {
    let mut out = for_renderer(&pass_diagrams::issue_graph(pack));
    for (i, item) in pack.implementation.github_issue_plan.iter().enumerate() {
        if let Some(url) = links.get(item.id.as_str()).filter(|u| is_linkable(u)) {
            // A URL with a quote cannot leave the quoted token: Url encodes it.
            out.push_str(&format!(
                "    click {} href \"{}\" \"{}\" _blank\n",
                pass_diagrams::issue_node_id(i),
                url.as_str(),
                label(&item.title)
            ));
        }
    }
    out
}

/// Drops the lines of a stored diagram's source that would put links or
/// script hooks into the picture: the planner's diagram has none, and an
/// uploaded one cannot add them.
pub fn without_interaction(source: &str) -> String {
    source
        .lines()
        .filter(|line| {
            let word = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            !matches!(word.as_str(), "click" | "link" | "callback" | "%%{init:")
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Renders Mermaid source to an SVG document, and refuses output that could
/// run script in a page (the renderer escapes text; this is the second lock).
///
/// Laying out a large graph takes seconds (a 300-item issue plan: about 2 s
/// in a release build), and a run's diagrams change only when its artifacts
/// or its sync do, so recent renders are kept by their exact source.
pub fn render_svg(source: &str) -> Result<String, DiagramError> {
    if let Some(svg) = RENDERED.get(source) {
        return Ok(svg);
    }
    let options = mermaid_rs_renderer::RenderOptions::default();
    let svg = mermaid_rs_renderer::render_strict(source, options)
        .map_err(|e| DiagramError::Parse(e.to_string()))?;
    check_svg(&svg)?;
    RENDERED.put(source, &svg);
    Ok(svg)
}

/// The most recently used renders, up to [`SvgCache::BUDGET`] bytes of
/// source and SVG together, so the console's memory stays bounded whatever
/// the plans' sizes.
static RENDERED: SvgCache = SvgCache {
    entries: std::sync::Mutex::new(std::collections::VecDeque::new()),
};

struct SvgCache {
    /// (source, checked SVG), least recently used first.
    entries: std::sync::Mutex<std::collections::VecDeque<(String, String)>>,
}

impl SvgCache {
    const BUDGET: usize = 4 * 1024 * 1024;

    fn get(&self, source: &str) -> Option<String> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let at = entries.iter().position(|(cached, _)| cached == source)?;
        let entry = entries.remove(at)?;
        let svg = entry.1.clone();
        entries.push_back(entry);
        Some(svg)
    }

    fn put(&self, source: &str, svg: &str) {
        let size = source.len() + svg.len();
        if size > Self::BUDGET {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(cached, _)| cached != source);
        let mut used: usize = entries.iter().map(|(s, v)| s.len() + v.len()).sum();
        while used + size > Self::BUDGET {
            let Some((s, v)) = entries.pop_front() else {
                break;
            };
            used -= s.len() + v.len();
        }
        entries.push_back((source.to_owned(), svg.to_owned()));
    }
}

/// Refuses markup that runs script or loads from elsewhere.
fn check_svg(svg: &str) -> Result<(), DiagramError> {
    let lower = svg.to_ascii_lowercase();
    for (needle, what) in [
        ("<script", "a script element"),
        ("<foreignobject", "a foreignObject element"),
        ("javascript:", "a javascript: URL"),
        ("<iframe", "an iframe"),
        ("@import", "a stylesheet import"),
    ] {
        if lower.contains(needle) {
            return Err(DiagramError::Unsafe(what));
        }
    }
    // An event handler attribute: whitespace, "on", letters, "=".
    let bytes = lower.as_bytes();
    for (i, window) in bytes.windows(3).enumerate() {
        if window[0].is_ascii_whitespace() && window[1] == b'o' && window[2] == b'n' {
            let rest = &bytes[i + 3..];
            let letters = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
            if letters > 0 && rest.get(letters) == Some(&b'=') {
                return Err(DiagramError::Unsafe("an event handler attribute"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_are_kept_by_source_within_the_budget() {
        let cache = SvgCache {
            entries: std::sync::Mutex::new(std::collections::VecDeque::new()),
        };
        cache.put("graph TD\n a --> b\n", "<svg>ab</svg>");
        assert_eq!(
            cache.get("graph TD\n a --> b\n").as_deref(),
            Some("<svg>ab</svg>")
        );
        assert_eq!(cache.get("graph TD\n a --> c\n"), None);
        // Filling the budget evicts the least recently used first.
        let big = "x".repeat(SvgCache::BUDGET / 2);
        cache.put("one", &big);
        cache.get("graph TD\n a --> b\n");
        cache.put("two", &big);
        assert_eq!(cache.get("one"), None, "the oldest render is evicted");
        assert!(cache.get("two").is_some());
        assert!(cache.get("graph TD\n a --> b\n").is_some());
        // A render larger than the whole budget is not kept.
        cache.put("huge", &"x".repeat(SvgCache::BUDGET + 1));
        assert_eq!(cache.get("huge"), None);
    }

    #[test]
    fn labels_cannot_close_the_quote_or_open_markup() {
        assert_eq!(
            label("a \"b\"; <script>|x -- y %% z"),
            "a 'b'\u{37e} <script>\u{a6}x \u{2013} y % % z"
        );
    }

    #[test]
    fn rendered_svg_names_the_nodes_and_escapes_markup() {
        let svg = render_svg(
            "flowchart LR\n    a[\"Web <script>alert(1)</script>\"]\n    b[(\"Store\")]\n    a --> b\n",
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Store"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
    }

    #[test]
    fn planner_sources_are_decoded_for_the_renderer() {
        let planner = "flowchart LR\n    c0[/\"Web #quot;UI#quot; #lt;v2#gt; #35;1 #124; x\"/]\n    c1[(\"DB\")]\n    c0 -->|\"reads; writes\"| c1\n";
        let source = for_renderer(planner);
        assert_eq!(
            source,
            "flowchart LR\n    c0[/\"Web 'UI' <v2> #1 \u{a6} x\"/]\n    c1[(\"DB\")]\n    c0 -->|reads\u{37e} writes| c1\n"
        );
        let svg = render_svg(&source).unwrap();
        assert!(
            svg.contains("Web 'UI' &lt;v2&gt; #1")
                || svg.contains("Web &apos;UI&apos; &lt;v2&gt; #1"),
            "{svg}"
        );
        assert!(svg.contains("reads\u{37e} writes"), "{svg}");
    }

    #[test]
    fn every_text_survives_the_planners_codes_and_back() {
        for text in [
            "#amp;",
            "a & b",
            "#lt;tag#gt;",
            "C# <generic> \"q\" `x` | y",
        ] {
            assert_eq!(
                decode_codes(&pass_diagrams::label(text)),
                text,
                "{text:?} changed on the way"
            );
        }
    }

    #[test]
    fn interaction_lines_are_dropped_from_stored_sources() {
        let source =
            "flowchart LR\n  a --> b\n  click a href \"javascript:alert(1)\"\n  CLICK b call x()\n";
        let kept = without_interaction(source);
        assert_eq!(kept, "flowchart LR\n  a --> b\n");
        assert!(!render_svg(&kept).unwrap().contains("javascript"));
    }

    #[test]
    fn event_handlers_and_scripts_are_refused() {
        assert!(matches!(
            check_svg("<svg><g onclick=\"x\"></g></svg>"),
            Err(DiagramError::Unsafe(_))
        ));
        assert!(matches!(
            check_svg("<svg><script>x</script></svg>"),
            Err(DiagramError::Unsafe(_))
        ));
        assert!(check_svg("<svg><g class=\"node\" data-once=\"1\"></g></svg>").is_ok());
    }

    #[test]
    fn garbage_is_a_parse_error() {
        assert!(matches!(
            render_svg("this is not mermaid at all"),
            Err(DiagramError::Parse(_))
        ));
    }
}

#[cfg(test)]
mod graph_tests {
    use super::*;

    fn sample_pack() -> ArchitecturePack {
        serde_json::from_str(include_str!(
            "../../../samples/architecture_pack.sample.json"
        ))
        .unwrap()
    }

    #[test]
    fn the_issue_graph_parses_and_links_items_with_issues() {
        let pack = sample_pack();
        let plan = &pack.implementation.github_issue_plan;
        let first = plan[0].id.to_string();
        let links = BTreeMap::from([
            (
                first.clone(),
                Url::parse("https://github.com/o/r/issues/1").unwrap(),
            ),
            (
                plan[1].id.to_string(),
                Url::parse("javascript:alert(1)").unwrap(),
            ),
        ]);
        let source = issue_graph(&pack, &links);
        let edges: usize = plan.iter().map(|i| i.depends_on.len()).sum();
        assert_eq!(source.matches(" --> ").count(), edges, "{source}");
        assert_eq!(source.matches("click ").count(), 1, "{source}");
        let svg = render_svg(&source).unwrap();
        assert!(
            svg.contains("href=\"https://github.com/o/r/issues/1\""),
            "{svg}"
        );
        assert!(!svg.contains("javascript"), "{svg}");
        for item in plan {
            assert!(svg.contains(item.id.as_str()), "{} missing", item.id);
        }
    }
}
