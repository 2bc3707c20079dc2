//! `pass export RUN --html FILE`: one self-contained HTML file for a review
//! or a pull request. The same sections as the console without its controls,
//! the diagrams as inline SVG, the stylesheet inline, and a policy that lets
//! the file run no script at all.

use maud::{DOCTYPE, PreEscaped, html};

use crate::pages::stylesheet;
use crate::view::{Mode, RunBundle, render_run};

/// The export's own policy, as a meta tag: no script, nothing loaded from
/// anywhere, only its inline styles and images.
pub const EXPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Renders the whole file.
pub fn export_html(bundle: &RunBundle) -> String {
    let view = render_run(bundle, Mode::Export);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(EXPORT_POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (view.title) " — PASS" }
                style { (PreEscaped(stylesheet())) }
            }
            body data-page="export" {
                main {
                    h1 { (view.title) }
                    p.generated { "Exported from PASS · run " code { (view.run_id) } }
                    @for s in &view.sections {
                        section id=(s.id) aria-labelledby=(format!("{}-h", s.id)) {
                            h2 id=(format!("{}-h", s.id)) { (s.title) }
                            (PreEscaped(&s.html))
                        }
                    }
                }
            }
        }
    }
    .into_string()
}
