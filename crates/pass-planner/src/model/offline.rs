//! The offline provider as a [`Model`]: the PRD is read once by the
//! deterministic reader and each section request answers from that reading.

use futures::future::BoxFuture;
use pass_contracts::OrgConstraints;

use super::{Model, ModelError, SectionReply, SectionRequest, TokenUsage};
use crate::config::Provider;
use crate::offline::draft_pack;
use crate::sections::Drafts;

/// The name `planner_usage` reports for the offline reader.
pub const OFFLINE_MODEL_NAME: &str = "pass-offline-reader-1";

#[derive(Debug)]
pub struct OfflineModel {
    drafts: Drafts,
}

impl OfflineModel {
    pub fn new(prd_text: &str, org: &OrgConstraints, org_given: bool) -> Self {
        Self {
            drafts: draft_pack(prd_text, org, org_given),
        }
    }

    pub fn drafts(&self) -> &Drafts {
        &self.drafts
    }
}

impl Model for OfflineModel {
    fn provider(&self) -> Provider {
        Provider::Offline
    }

    fn model_name(&self) -> &str {
        OFFLINE_MODEL_NAME
    }

    fn generate<'a>(
        &'a self,
        request: &'a SectionRequest,
    ) -> BoxFuture<'a, Result<SectionReply, ModelError>> {
        if request.side_task.is_some() {
            return Box::pin(std::future::ready(Err(ModelError::BadReply {
                provider: "offline reader",
                reason: "the offline reader answers the pack's sections only".to_owned(),
                usage: TokenUsage::default(),
            })));
        }
        let result = self
            .drafts
            .section_value(request.section)
            .map(|value| SectionReply {
                value,
                usage: TokenUsage::default(),
                calls: 0,
            })
            .map_err(|e| ModelError::BadReply {
                provider: "offline reader",
                reason: e.to_string(),
                usage: TokenUsage::default(),
            });
        Box::pin(std::future::ready(result))
    }
}
