//! The deterministic PRD reader behind the offline provider: what users see
//! first, so it reads the PRD's own structure rather than guessing.
//!
//! The same PRD and org constraints always give the same drafts.

mod design;
mod document;
mod extract;

pub use design::{api_tech, cloud_service, db_tech, web_tech};
pub use extract::{has_word, leading_id};

use pass_contracts::OrgConstraints;
use pass_contracts::pack::{Availability, DataSensitivity, Scale};

use crate::sections::{
    ClarificationDraft, ClarificationsDraft, CoreDraft, DomainDraft, Drafts, RequirementsDraft,
    WorkflowsDraft,
};

/// Reads `prd` into every section. `org_given` says whether the run carried
/// org constraints (otherwise the defaults are recorded as an assumption).
pub fn draft_pack(prd: &str, org: &OrgConstraints, org_given: bool) -> Drafts {
    let ex = extract::extract(prd);
    let nfrs = ex.nfrs.unwrap_or(crate::sections::NfrsDraft {
        scale: Scale::Small,
        availability: Availability::Standard,
        latency: pass_contracts::pack::Latency::Standard,
        data_sensitivity: DataSensitivity::None,
        auditability: pass_contracts::pack::Auditability::Basic,
    });
    let (architecture, arch_notes) = design::architecture(&ex, &nfrs, org);

    let mut assumptions = Vec::new();
    if !org_given {
        assumptions.push("No org constraints were given; PASS defaults apply (TypeScript, Next.js, Fastify, PostgreSQL on AWS with rds, s3 and sqs).".to_owned());
    }
    if !ex.ids_from_prd && !ex.requirements.is_empty() {
        assumptions.push("The PRD gives no requirement ids; requirements are numbered REQ-001 onwards in the order the PRD states them.".to_owned());
    }
    if ex.entities_inferred {
        assumptions.push("The PRD has no data model; entities are inferred from the nouns its requirements repeat.".to_owned());
    }
    for note in &ex.nfr_notes {
        assumptions.push(format!("NFR from the PRD's wording: {note}."));
    }
    for item in &ex.out_of_scope {
        assumptions.push(format!("Out of scope per the PRD: {item}"));
    }
    if ex.dropped_requirements > 0 {
        assumptions.push(format!(
            "The PRD states more than {} requirements; the {} after the first {} are not in this pack.",
            extract::MAX_REQUIREMENTS,
            ex.dropped_requirements,
            extract::MAX_REQUIREMENTS
        ));
    }
    assumptions.extend(arch_notes);

    let mut open_questions = ex.explicit_questions.clone();
    let mut gap = |q: &str| {
        if !open_questions.iter().any(|o| o == q) {
            open_questions.push(q.to_owned());
        }
    };
    if ex.requirements.len() < 3 {
        gap(&format!(
            "The PRD states only {} requirement(s); what else must the first release do?",
            ex.requirements.len()
        ));
    }
    if ex.placeholders > 0 {
        gap(&format!(
            "{} item(s) in the PRD are unfilled template placeholders; what should they say?",
            ex.placeholders
        ));
    }
    if ex.actors.is_empty() {
        gap("Who are the users, and which roles do they have?");
    }
    if ex.summary_is_missing() {
        gap("What problem does the product solve, and for whom?");
    }
    if nfrs.scale == Scale::Small && !prd.to_ascii_lowercase().contains("users") {
        gap("How many users and how much data must the first release support?");
    }
    if ex.entities.is_empty() {
        gap("Which data must be stored, and for how long?");
    }
    if ex.signals.web_ui && !ex.signals.auth && !ex.signals.no_auth && !ex.signals.local_only {
        gap("How do users sign in, and is any part usable without an account?");
    }
    if ex
        .requirements
        .iter()
        .all(|r| r.acceptance_criteria.is_empty())
    {
        gap("What are the acceptance criteria for the requirements?");
    }

    // Where the PRD names a technology the org's stack does not, ask, and say what the plan did.
    let strict = org.strictness == pass_contracts::org::Strictness::Strict;
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for (key, named, org_tech) in [
        ("stack.api", ex.named_tech.api, api_tech(org.stack.api)),
        (
            "stack.web",
            ex.named_tech.web,
            design::web_tech(org.stack.web),
        ),
        (
            "stack.primary_db",
            ex.named_tech.db,
            db_tech(org.stack.primary_db),
        ),
    ] {
        let Some(named) = named.filter(|n| *n != org_tech) else {
            continue;
        };
        let question = format!(
            "The PRD names {named}, but the org's {key} is {org_tech}: which should the plan use?"
        );
        let answer = if strict {
            format!("{org_tech}: the org constraints are strict.")
        } else {
            format!(
                "{named}, as the PRD asks; recorded as a deviation from the org constraints (strictness: prefer)."
            )
        };
        open_questions.push(question.clone());
        conflicts.push((question, answer));
    }

    let mut clarifications: Vec<ClarificationDraft> = conflicts
        .into_iter()
        .map(|(question, answer)| ClarificationDraft {
            id: String::new(),
            question,
            answer,
            default_used: true,
            why_it_matters: "Every issue that touches this layer builds on the choice.".to_owned(),
        })
        .collect();
    for q in &open_questions {
        if clarifications.iter().any(|c| &c.question == q) {
            continue;
        }
        clarifications.push(ClarificationDraft {
            id: String::new(),
            question: q.clone(),
            answer: default_answer(q),
            default_used: true,
            why_it_matters: why_it_matters(q),
        });
    }
    clarifications.truncate(8);
    for (i, c) in clarifications.iter_mut().enumerate() {
        c.id = format!("CQ-{}", i + 1);
    }
    let clarifications = ClarificationsDraft { clarifications };

    let core = CoreDraft {
        title: ex.title.clone().unwrap_or_default(),
        summary: ex.summary.clone(),
        actors: if ex.actors.is_empty() {
            vec!["User".to_owned()]
        } else {
            ex.actors.clone()
        },
        assumptions,
        open_questions: open_questions.clone(),
    };
    let refinement = design::refinement(&architecture, &open_questions);
    let implementation = design::implementation(&ex, &architecture, &nfrs, org);
    let issue_plan = design::issue_plan(&ex, &architecture, &nfrs);
    Drafts {
        core,
        requirements: RequirementsDraft {
            requirements: ex.requirements.clone(),
        },
        clarifications,
        workflows: WorkflowsDraft {
            workflows: ex.workflows.clone(),
        },
        domain: DomainDraft {
            entities: ex.entities.clone(),
            integrations: ex.integrations.clone(),
            nfrs,
        },
        architecture,
        refinement,
        implementation,
        issue_plan,
    }
}

impl extract::Extracted {
    fn summary_is_missing(&self) -> bool {
        self.summary.starts_with("The PRD does not yet describe")
            || self.summary.starts_with("The PRD gives no summary")
    }
}

fn default_answer(question: &str) -> String {
    let q = question.to_ascii_lowercase();
    if q.contains("sign in") {
        "Default: email and password accounts through the auth provider; nothing is usable without an account.".to_owned()
    } else if q.contains("how many users") {
        "Default: small scale (hundreds of users, thousands of records); revisit before launch."
            .to_owned()
    } else if q.contains("which data") {
        "Default: store only what the requirements name, kept until the user deletes it.".to_owned()
    } else if q.contains("acceptance criteria") {
        "Default: each issue's acceptance criteria restate its requirement as an automated test."
            .to_owned()
    } else {
        "Not answered by the PRD; the plan proceeds on the conservative default recorded in the assumptions.".to_owned()
    }
}

fn why_it_matters(question: &str) -> String {
    let q = question.to_ascii_lowercase();
    if q.contains("sign in") {
        "Decides whether an auth provider and account data are in scope.".to_owned()
    } else if q.contains("how many users") {
        "Sizes the database, caching and deployment.".to_owned()
    } else if q.contains("requirement") || q.contains("placeholder") {
        "The issue plan can only cover what the PRD states.".to_owned()
    } else {
        "The answer can change requirements, components or issue order.".to_owned()
    }
}
