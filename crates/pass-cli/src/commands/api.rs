//! Where a command finds the PASS API: the flags every server command shares.

use pass_client::PassClient;
use secrecy::SecretString;

#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Base URL of the PASS API.
    #[arg(
        long = "api",
        global = true,
        env = "PASS_API_BASE_URL",
        default_value = "http://127.0.0.1:3001"
    )]
    pub api: String,
    /// Bearer token for the API.
    #[arg(long, global = true, env = "PASS_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

impl ApiArgs {
    pub fn client(&self) -> anyhow::Result<PassClient> {
        Ok(PassClient::new(
            &self.api,
            self.token.clone().map(SecretString::from),
        )?)
    }
}
