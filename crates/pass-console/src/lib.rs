//! The PASS web console, served by the API at `/ui/` and opened by
//! `pass serve`'s link and `pass demo --open`.
//!
//! Pages are server-rendered shells ([`pages`]) with a small hand-written
//! script layer (`assets/console.js`) that reads the JSON API with the
//! bearer token; a run's sections are rendered by the Rust templates of
//! [`view`], which the HTML export ([`export`]) reuses; diagrams are Mermaid
//! rendered to SVG on the server ([`mermaid`]). Everything is embedded in the
//! binary: no CDN, no fonts, no Node build.

pub mod export;
pub mod link;
pub mod mermaid;
pub mod pages;
pub mod view;

pub use export::export_html;
pub use link::{console_link, open_in_browser};
pub use pages::{CONTENT_SECURITY_POLICY, router};
pub use view::{LogTail, Mode, RunBundle, RunRow, RunRows, RunView, render_run};
