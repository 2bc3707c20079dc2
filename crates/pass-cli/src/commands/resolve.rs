//! Run ids as people type them: the whole id, or the start of one as long
//! as exactly one run on the server has it.

use anyhow::bail;
use pass_client::PassClient;
use uuid::Uuid;

/// How many runs one listing asks for while looking for a prefix.
const PAGE: u64 = 500;

/// The run `text` names: a full id, or a prefix of exactly one run's id
/// (with or without its dashes, any case).
pub async fn run_id(client: &PassClient, text: &str) -> anyhow::Result<Uuid> {
    let wanted = text.trim().to_ascii_lowercase();
    if let Ok(id) = Uuid::parse_str(&wanted) {
        return Ok(id);
    }
    if wanted.is_empty() || !wanted.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        bail!("{text:?} is not a run id nor the start of one (hexadecimal digits and dashes)");
    }
    let bare = wanted.replace('-', "");
    let mut matches = Vec::new();
    let mut offset = 0;
    loop {
        let page = client.list_runs(Some(PAGE), Some(offset)).await?;
        let seen = page.runs.len() as u64;
        matches.extend(page.runs.iter().map(|r| r.run_id).filter(|id| {
            id.hyphenated().to_string().starts_with(&wanted)
                || id.simple().to_string().starts_with(&bare)
        }));
        offset += seen;
        if seen == 0 || offset >= page.total {
            break;
        }
    }
    match matches.as_slice() {
        [] => bail!("no run id starts with {wanted} (pass runs list shows the runs)"),
        [id] => Ok(*id),
        many => {
            let shown: Vec<String> = many.iter().take(5).map(Uuid::to_string).collect();
            let more = if many.len() > 5 { ", …" } else { "" };
            bail!(
                "{wanted} is the start of {} run ids ({}{more}); give more of the id",
                many.len(),
                shown.join(", ")
            )
        }
    }
}
