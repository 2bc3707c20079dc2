//! The deterministic PRD reader behind the offline provider: what users see
//! first, so it reads the PRD's own structure rather than guessing.
//!
//! Split by concern: the Markdown document ([`document`]), ids and
//! priorities ([`ids`]), section roles ([`scope`]), requirements
//! ([`requirements`]) with stories and criteria ([`stories`]), the prose
//! around them ([`prose`]), integrations ([`integrations`], [`catalogue`]),
//! product kind and stack ([`product`]), the architecture ([`design`]) and
//! the issue plan ([`issues`]). The same PRD and org constraints always give
//! the same drafts.

mod catalogue;
mod design;
mod document;
mod ids;
mod integrations;
mod issues;
mod product;
mod prose;
mod requirements;
mod scope;
mod stories;
mod text;

pub use design::{api_tech, cloud_service, db_tech, web_tech};
pub use ids::leading_id;
pub use issues::{MAX_TITLE, derived_checks, feature_issue_target};
pub use text::has_word;

use issues::is_generic_group as issues_group_is_generic;

use pass_contracts::OrgConstraints;
use pass_contracts::pack::{Availability, DataSensitivity, Scale};

use crate::sections::{
    ClarificationDraft, ClarificationsDraft, CoreDraft, DomainDraft, Drafts, RequirementDraft,
    RequirementsDraft, WorkflowsDraft,
};
use document::{Doc, normalise};
use product::ProductKind;
use scope::Role;

/// Reads `prd` into every section. `org_given` says whether the run carried
/// org constraints (otherwise the defaults are recorded as an assumption).
pub fn draft_pack(prd: &str, org: &OrgConstraints, org_given: bool) -> Drafts {
    let source = normalise(prd);
    let doc = Doc::parse(&source);
    let title = prose::title(&doc);
    // The first heading names the document, never a section's purpose.
    let document_heading = doc
        .lines
        .first()
        .filter(|l| matches!(l.level(), Some(1 | 2)))
        .map(|l| l.text.clone());
    let section_title = document_heading.as_deref();
    let title_ref = title.as_deref();
    let reading = requirements::read(&doc, section_title);
    let mut requirement_drafts: Vec<RequirementDraft> = reading
        .requirements
        .iter()
        .map(|r| r.draft.clone())
        .collect();
    let excerpts = crate::sections::ExcerptIndex::new(prd);
    for r in &mut requirement_drafts {
        r.source_hint = verbatim_hint(prd, &excerpts, &r.source_hint, &r.text);
    }
    let summary = prose::summary(&doc, section_title, &requirement_drafts);
    let mut actors = prose::actors(&doc);
    for r in &requirement_drafts {
        if let Some(actor) = stories::story_actor(&r.text) {
            if !actors.iter().any(|a| a.eq_ignore_ascii_case(&actor)) && actors.len() < 12 {
                actors.push(actor);
            }
        }
    }
    let workflows = prose::workflows(&doc);
    let (entities, entities_inferred) = prose::entities(&doc, &requirement_drafts);
    let (integrations, provider_questions) =
        integrations::read(&doc, section_title, &reading.requirements);
    let product = product::read(&doc, section_title, &summary);
    let product_text = product::product_text(&doc, section_title);
    let (nfrs, nfr_notes) = prose::nfrs(&product_text, &integrations);
    let nfrs = nfrs.unwrap_or(crate::sections::NfrsDraft {
        scale: Scale::Small,
        availability: Availability::Standard,
        latency: pass_contracts::pack::Latency::Standard,
        data_sensitivity: DataSensitivity::None,
        auditability: pass_contracts::pack::Auditability::Basic,
    });
    let designed = design::architecture(&design::ArchitectureInput {
        title: title_ref,
        product: &product,
        integrations: &integrations,
        nfrs: &nfrs,
        constraints: &reading.constraints,
        has_requirements: !requirement_drafts.is_empty(),
        org,
    });
    let architecture = designed.architecture;

    let mut assumptions = Vec::new();
    if !org_given {
        assumptions.push("No org constraints were given: the stack the PRD names is used, and PASS defaults (TypeScript, Next.js, Fastify, PostgreSQL on AWS) fill only the layers it leaves open.".to_owned());
    }
    assumptions.push(format!(
        "The PRD is read as {}{}.",
        product.kind.describe(),
        if product.stack.is_empty() {
            String::new()
        } else {
            format!(
                " built with {}",
                product
                    .stack
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));
    if integrations::states_no_integrations(&doc) {
        assumptions.push("The PRD states the product has no external dependencies: services it names (as data, providers or examples) are not planned as integrations.".to_owned());
    }
    if !reading.ids_from_prd && !requirement_drafts.is_empty() {
        assumptions.push("The PRD gives no requirement ids; requirements are numbered REQ-001 onwards in the order the PRD states them.".to_owned());
    }
    if entities_inferred {
        assumptions.push("The PRD has no data model; entities are inferred from the nouns its requirements repeat.".to_owned());
    }
    for note in &nfr_notes {
        assumptions.push(format!("NFR from the PRD's wording: {note}."));
    }
    for item in &reading.assumptions {
        assumptions.push(format!("Assumption stated in the PRD: {item}"));
    }
    for item in &reading.constraints {
        assumptions.push(format!("Constraint stated in the PRD: {item}"));
    }
    let mut left_out: Vec<String> = reading
        .non_goals
        .iter()
        .map(|item| format!("Out of scope per the PRD: {item}"))
        .collect();
    left_out.extend(
        reading
            .done
            .iter()
            .map(|item| format!("Already done per the PRD, not planned again: {item}")),
    );
    assumptions.extend(designed.notes);

    let mut open_questions = prose::questions(&doc);
    let mut gap = |q: &str| {
        if !open_questions.iter().any(|o| o == q) {
            open_questions.push(q.to_owned());
        }
    };
    if requirement_drafts.is_empty() {
        gap(
            "The PRD states no requirements the reader could find: is it a filled-in PRD, and what must the first release do?",
        );
    } else if requirement_drafts.len() < 3 {
        gap(&format!(
            "The PRD states only {} requirement(s); what else must the first release do?",
            requirement_drafts.len()
        ));
    }
    if reading.placeholders > 0 {
        gap(&format!(
            "{} item(s) in the PRD are unfilled template placeholders; what should they say?",
            reading.placeholders
        ));
    }
    for q in &provider_questions {
        gap(q);
    }
    if actors.is_empty() {
        gap("Who are the users, and which roles do they have?");
    }
    if summary.starts_with("The PRD does not yet describe")
        || summary.starts_with("The PRD gives no summary")
    {
        gap("What problem does the product solve, and for whom?");
    }
    if nfrs.scale == Scale::Small
        && !product_text.contains("users")
        && product.kind != ProductKind::Cli
    {
        gap("How many users and how much data must the first release support?");
    }
    if entities.is_empty() && !requirement_drafts.is_empty() {
        gap("Which data must be stored, and for how long?");
    }
    if product.signals.web_ui
        && !product.signals.auth
        && !product.signals.no_auth
        && !matches!(
            product.kind,
            ProductKind::LocalApp | ProductKind::Cli | ProductKind::Game
        )
    {
        gap("How do users sign in, and is any part usable without an account?");
    }
    if !requirement_drafts.is_empty()
        && requirement_drafts
            .iter()
            .all(|r| r.acceptance_criteria.is_empty())
    {
        gap("What are the acceptance criteria for the requirements?");
    }
    for (question, _) in &designed.conflicts {
        gap(question);
    }

    let mut clarifications: Vec<ClarificationDraft> = designed
        .conflicts
        .iter()
        .map(|(question, answer)| ClarificationDraft {
            id: String::new(),
            question: question.clone(),
            answer: answer.clone(),
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

    let chain: Vec<String> = doc
        .lines
        .iter()
        .zip(scope::line_roles(&doc, section_title))
        .filter(|(l, role)| (l.is_item() || l.is_heading()) && *role == Role::Order)
        .filter(|(l, _)| !(l.is_heading() && l.path.len() <= 1))
        .map(|(l, _)| l.text.clone())
        .collect();
    let refinement = design::refinement(&architecture, &open_questions);
    let implementation =
        design::implementation(title_ref, &requirement_drafts, &architecture, &nfrs, org);
    let local = architecture
        .components
        .iter()
        .all(|c| c.cloud_service.is_empty())
        && matches!(
            product.kind,
            ProductKind::LocalApp | ProductKind::Cli | ProductKind::Game
        );
    let mut read_requirements = reading.requirements;
    for (r, d) in read_requirements.iter_mut().zip(&requirement_drafts) {
        r.draft.source_hint = d.source_hint.clone();
    }
    let issue_plan = issues::issue_plan(&issues::PlanInput {
        requirements: &read_requirements,
        entities: &entities,
        integrations: &integrations,
        architecture: &architecture,
        nfrs: &nfrs,
        chain: &chain,
        local,
        left_out: &left_out,
    });
    Drafts {
        core: CoreDraft {
            title: title.unwrap_or_default(),
            summary,
            actors: if actors.is_empty() {
                vec!["User".to_owned()]
            } else {
                actors
            },
            product_kind: product.kind.draft(),
            deployment: deployment(&product, &architecture),
            named_stack: product.stack.iter().map(|t| t.name.to_owned()).collect(),
            assumptions,
            open_questions,
        },
        requirements: RequirementsDraft {
            requirements: requirement_drafts,
        },
        clarifications: ClarificationsDraft { clarifications },
        workflows: WorkflowsDraft { workflows },
        domain: DomainDraft {
            entities,
            integrations,
            nfrs,
        },
        architecture,
        refinement,
        implementation,
        issue_plan,
    }
}

/// A trace excerpt the PRD contains verbatim: the reader's hint when it is
/// one, else the longest leading run of the requirement's words that is.
fn verbatim_hint(
    prd: &str,
    excerpts: &crate::sections::ExcerptIndex<'_>,
    hint: &str,
    text: &str,
) -> String {
    let trimmed = hint.trim();
    if !trimmed.is_empty() && excerpts.contains_at_word(trimmed) {
        return trimmed.to_owned();
    }
    for candidate in [hint, text] {
        let words: Vec<&str> = candidate.split_whitespace().collect();
        for n in (1..=words.len()).rev() {
            let excerpt = words[..n].join(" ");
            if excerpt.chars().count() >= 3 && excerpts.contains_at_word(&excerpt) {
                return excerpt;
            }
        }
    }
    prd.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(prd)
        .to_owned()
}

/// Where the product runs, as the reader understood it.
fn deployment(
    product: &product::Product,
    architecture: &crate::sections::ArchitectureDraft,
) -> String {
    let clouds: Vec<&str> = architecture
        .components
        .iter()
        .map(|c| c.cloud_service.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    if product.no_network {
        "On the user's machine, with no network traffic.".to_owned()
    } else if clouds.is_empty() {
        match product.kind {
            ProductKind::LocalApp | ProductKind::Cli | ProductKind::Game => {
                "On the user's machine.".to_owned()
            }
            ProductKind::Mobile => {
                "On users' phones, with a hosted backend where the requirements need one."
                    .to_owned()
            }
            ProductKind::Embedded => {
                "On the devices, with a hosted backend where the requirements need one.".to_owned()
            }
            _ => "Hosted by the team; the PRD names no platform.".to_owned(),
        }
    } else {
        format!("Hosted by the team on {}.", clouds.join(", "))
    }
}

/// A clarification's default when the PRD does not answer it.
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
        "Default: each issue carries specific checks derived from its requirements until the PRD gives criteria."
            .to_owned()
    } else if q.contains("provider") {
        "Not answered by the PRD; the plan keeps the provider behind one client so the choice can be made later.".to_owned()
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
