//! The pack is built in sections: each is a draft shape a model fills under a
//! strict JSON Schema, checked on its own and against the sections before it,
//! then assembled by code into the contract's pack.
//!
//! Draft shapes differ from the contract's types on purpose: every field is
//! required and plain (strict structured output accepts nothing else), and they
//! carry links the pack has no place for (an issue's requirement ids, a
//! component's cloud service) so that code can compute coverage, labels and
//! policy instead of trusting the model to.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

mod architecture;
mod clarifications;
mod core;
mod domain;
mod implementation;
mod issue_plan;
mod refinement;
mod requirements;
mod workflows;

pub use self::core::*;
pub use architecture::*;
pub use clarifications::*;
pub use domain::*;
pub use implementation::*;
pub use issue_plan::*;
pub use refinement::*;
pub use requirements::*;
pub use workflows::*;

/// The sections in the order they are assembled; also the order of the
/// Anthropic tool list, which must not change between calls so the cached
/// prompt prefix stays valid.
pub const ALL_SECTIONS: [SectionName; 9] = [
    SectionName::Core,
    SectionName::Requirements,
    SectionName::Clarifications,
    SectionName::Workflows,
    SectionName::Domain,
    SectionName::Architecture,
    SectionName::Refinement,
    SectionName::Implementation,
    SectionName::IssuePlan,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionName {
    Core,
    Requirements,
    Clarifications,
    Workflows,
    Domain,
    Architecture,
    Refinement,
    Implementation,
    IssuePlan,
}

impl SectionName {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionName::Core => "core",
            SectionName::Requirements => "requirements",
            SectionName::Clarifications => "clarifications",
            SectionName::Workflows => "workflows",
            SectionName::Domain => "domain",
            SectionName::Architecture => "architecture",
            SectionName::Refinement => "refinement",
            SectionName::Implementation => "implementation",
            SectionName::IssuePlan => "issue_plan",
        }
    }

    /// The section a tool (`emit_core`) or schema name stands for.
    pub fn from_tool_name(name: &str) -> Option<Self> {
        ALL_SECTIONS.into_iter().find(|s| s.tool_name() == name)
    }

    /// The forced tool's name for this section.
    pub fn tool_name(self) -> String {
        format!("emit_{}", self.as_str())
    }

    /// Sections whose output this one reads. Everything reads `core` (the
    /// product summary and actors); the chain requirements → architecture →
    /// implementation → issue plan is the critical path.
    pub fn depends_on(self) -> &'static [SectionName] {
        use SectionName::*;
        match self {
            Core => &[],
            Requirements | Clarifications | Workflows | Domain => &[Core],
            Architecture => &[Core, Requirements, Clarifications, Workflows, Domain],
            Refinement => &[Core, Architecture],
            Implementation => &[Core, Requirements, Architecture],
            IssuePlan => &[
                Core,
                Requirements,
                Clarifications,
                Workflows,
                Domain,
                Architecture,
                Implementation,
            ],
        }
    }

    /// Whether the model needs the PRD itself for this section. Refinement
    /// and the implementation overview work from decided sections only, so
    /// their calls leave the PRD out.
    pub fn reads_prd(self) -> bool {
        !matches!(self, SectionName::Refinement | SectionName::Implementation)
    }

    /// Whether this section's schema is the same for every run: no list of
    /// earlier sections' ids or names is built into it. Those sections share
    /// one tool list on the Anthropic path, so their calls share a cached
    /// prompt prefix (tools, instructions, PRD).
    pub fn has_fixed_schema(self) -> bool {
        !matches!(
            self,
            SectionName::Refinement | SectionName::Implementation | SectionName::IssuePlan
        )
    }

    /// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output
    /// budget. The issue plan shares the coverage budget: coverage is computed
    /// from the plan's links, so the plan is the section that produces it.
    pub fn budget_env(self) -> &'static str {
        match self {
            SectionName::Core => self::core::BUDGET_ENV,
            SectionName::Requirements => requirements::BUDGET_ENV,
            SectionName::Clarifications => clarifications::BUDGET_ENV,
            SectionName::Workflows => workflows::BUDGET_ENV,
            SectionName::Domain => domain::BUDGET_ENV,
            SectionName::Architecture => architecture::BUDGET_ENV,
            SectionName::Refinement => refinement::BUDGET_ENV,
            SectionName::Implementation => implementation::BUDGET_ENV,
            SectionName::IssuePlan => issue_plan::BUDGET_ENV,
        }
    }

    /// Default output budget: room for a long tool call of this section.
    pub fn default_max_tokens(self) -> u32 {
        match self {
            SectionName::Core => self::core::DEFAULT_MAX_TOKENS,
            SectionName::Requirements => requirements::DEFAULT_MAX_TOKENS,
            SectionName::Clarifications => clarifications::DEFAULT_MAX_TOKENS,
            SectionName::Workflows => workflows::DEFAULT_MAX_TOKENS,
            SectionName::Domain => domain::DEFAULT_MAX_TOKENS,
            SectionName::Architecture => architecture::DEFAULT_MAX_TOKENS,
            SectionName::Refinement => refinement::DEFAULT_MAX_TOKENS,
            SectionName::Implementation => implementation::DEFAULT_MAX_TOKENS,
            SectionName::IssuePlan => issue_plan::DEFAULT_MAX_TOKENS,
        }
    }

    /// What the model is asked to do for this section, on top of the shared
    /// system instructions.
    pub fn instructions(self) -> &'static str {
        match self {
            SectionName::Core => self::core::INSTRUCTIONS,
            SectionName::Requirements => requirements::INSTRUCTIONS,
            SectionName::Clarifications => clarifications::INSTRUCTIONS,
            SectionName::Workflows => workflows::INSTRUCTIONS,
            SectionName::Domain => domain::INSTRUCTIONS,
            SectionName::Architecture => architecture::INSTRUCTIONS,
            SectionName::Refinement => refinement::INSTRUCTIONS,
            SectionName::Implementation => implementation::INSTRUCTIONS,
            SectionName::IssuePlan => issue_plan::INSTRUCTIONS,
        }
    }

    /// What this section holds, in a few words: the refinement triage asks
    /// which sections a change alters by these.
    pub fn role(self) -> &'static str {
        match self {
            SectionName::Core => self::core::ROLE,
            SectionName::Requirements => requirements::ROLE,
            SectionName::Clarifications => clarifications::ROLE,
            SectionName::Workflows => workflows::ROLE,
            SectionName::Domain => domain::ROLE,
            SectionName::Architecture => architecture::ROLE,
            SectionName::Refinement => refinement::ROLE,
            SectionName::Implementation => implementation::ROLE,
            SectionName::IssuePlan => issue_plan::ROLE,
        }
    }

    /// The section's JSON Schema in the strict form the model APIs accept.
    pub fn schema(self) -> serde_json::Value {
        match self {
            SectionName::Core => crate::model::strict_schema::<CoreDraft>(),
            SectionName::Requirements => crate::model::strict_schema::<RequirementsDraft>(),
            SectionName::Clarifications => crate::model::strict_schema::<ClarificationsDraft>(),
            SectionName::Workflows => crate::model::strict_schema::<WorkflowsDraft>(),
            SectionName::Domain => crate::model::strict_schema::<DomainDraft>(),
            SectionName::Architecture => crate::model::strict_schema::<ArchitectureDraft>(),
            SectionName::Refinement => crate::model::strict_schema::<RefinementDraft>(),
            SectionName::Implementation => crate::model::strict_schema::<ImplementationDraft>(),
            SectionName::IssuePlan => crate::model::strict_schema::<IssuePlanDraft>(),
        }
    }

    /// The section's schema for one run: where a field names something an
    /// earlier section decided (a component, a requirement), the schema
    /// lists the valid values as an `enum`, so a strict decoder cannot
    /// produce a dangling reference. A list longer than [`MAX_ENUM_VALUES`]
    /// is left open (a bounded enum keeps the compiled grammar small) and
    /// checked and repaired after the answer instead.
    pub fn schema_for(
        self,
        earlier: &BTreeMap<SectionName, serde_json::Value>,
    ) -> serde_json::Value {
        let mut schema = self.schema();
        let ctx = CheckContext::new("", earlier);
        let components: Vec<String> = ctx
            .earlier::<ArchitectureDraft>(SectionName::Architecture)
            .map(|a| a.components.into_iter().map(|c| c.name).collect())
            .unwrap_or_default();
        let requirements: Vec<String> = ctx.requirements().into_iter().map(|r| r.id).collect();
        let lists: &[(&str, &[String])] = match self {
            SectionName::Refinement => &[("/properties/editable_components/items", &components)],
            SectionName::Implementation => &[(
                "/properties/logic_requirements/items/properties/affected_components/items",
                &components,
            )],
            SectionName::IssuePlan => &[
                (
                    "/properties/issues/items/properties/implements/items",
                    &requirements,
                ),
                (
                    "/properties/issues/items/properties/partially_implements/items",
                    &requirements,
                ),
                (
                    "/properties/issues/items/properties/components/items",
                    &components,
                ),
            ],
            _ => &[],
        };
        for (pointer, values) in lists {
            constrain(&mut schema, pointer, values);
        }
        schema
    }
}

/// Longest list of valid values written into a schema as an `enum`.
pub const MAX_ENUM_VALUES: usize = 250;

/// Makes the string schema at `pointer` an `enum` of `values` (unique, in
/// order) when there are between one and [`MAX_ENUM_VALUES`] of them.
fn constrain(schema: &mut serde_json::Value, pointer: &str, values: &[String]) {
    let mut unique: Vec<&str> = Vec::new();
    for v in values {
        if !v.trim().is_empty() && !unique.contains(&v.as_str()) {
            unique.push(v);
        }
    }
    if unique.is_empty() || unique.len() > MAX_ENUM_VALUES {
        return;
    }
    if let Some(serde_json::Value::Object(target)) = schema.pointer_mut(pointer) {
        target.insert("enum".to_owned(), serde_json::json!(unique));
    }
}

impl std::fmt::Display for SectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Length of the longest chain of dependent sections (counting sections).
pub fn longest_chain() -> usize {
    fn depth(section: SectionName) -> usize {
        1 + section
            .depends_on()
            .iter()
            .map(|s| depth(*s))
            .max()
            .unwrap_or(0)
    }
    ALL_SECTIONS.iter().map(|s| depth(*s)).max().unwrap_or(0)
}

/// Every section's validated output, as the assembler needs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drafts {
    pub core: CoreDraft,
    pub requirements: RequirementsDraft,
    pub clarifications: ClarificationsDraft,
    pub workflows: WorkflowsDraft,
    pub domain: DomainDraft,
    pub architecture: ArchitectureDraft,
    pub refinement: RefinementDraft,
    pub implementation: ImplementationDraft,
    pub issue_plan: IssuePlanDraft,
}

impl Drafts {
    /// One section's draft as the JSON a model would produce for it.
    pub fn section_value(
        &self,
        section: SectionName,
    ) -> Result<serde_json::Value, serde_json::Error> {
        match section {
            SectionName::Core => serde_json::to_value(&self.core),
            SectionName::Requirements => serde_json::to_value(&self.requirements),
            SectionName::Clarifications => serde_json::to_value(&self.clarifications),
            SectionName::Workflows => serde_json::to_value(&self.workflows),
            SectionName::Domain => serde_json::to_value(&self.domain),
            SectionName::Architecture => serde_json::to_value(&self.architecture),
            SectionName::Refinement => serde_json::to_value(&self.refinement),
            SectionName::Implementation => serde_json::to_value(&self.implementation),
            SectionName::IssuePlan => serde_json::to_value(&self.issue_plan),
        }
    }
}

/// What a section's checks see besides the section itself.
#[derive(Debug)]
pub struct CheckContext<'a> {
    pub prd_text: &'a str,
    pub earlier: &'a BTreeMap<SectionName, serde_json::Value>,
    /// Set for the last check after a deterministic repair: a must
    /// requirement no issue implements is then a coverage gap the pack
    /// reports (coverage `missing`), not a reason to fail the run.
    pub lenient_coverage: bool,
}

impl<'a> CheckContext<'a> {
    pub fn new(prd_text: &'a str, earlier: &'a BTreeMap<SectionName, serde_json::Value>) -> Self {
        Self {
            prd_text,
            earlier,
            lenient_coverage: false,
        }
    }

    pub(crate) fn earlier<T: serde::de::DeserializeOwned>(
        &self,
        section: SectionName,
    ) -> Option<T> {
        self.earlier
            .get(&section)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub(crate) fn component_names(&self) -> HashSet<String> {
        self.earlier::<ArchitectureDraft>(SectionName::Architecture)
            .map(|a| a.components.into_iter().map(|c| c.name).collect())
            .unwrap_or_default()
    }

    pub(crate) fn requirements(&self) -> Vec<RequirementDraft> {
        self.earlier::<RequirementsDraft>(SectionName::Requirements)
            .map(|r| r.requirements)
            .unwrap_or_default()
    }
}

/// Deserializes a section's value and runs its checks; problems are phrased
/// for the repair request (path, then what is wrong).
pub fn check_section(
    section: SectionName,
    value: &serde_json::Value,
    ctx: &CheckContext<'_>,
) -> Vec<String> {
    fn parse<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, Vec<String>> {
        pass_contracts::from_value::<T>(value).map_err(|p| vec![p.to_string()])
    }
    let result = match section {
        SectionName::Core => parse::<CoreDraft>(value).map(|d| check_core(&d)),
        SectionName::Requirements => {
            parse::<RequirementsDraft>(value).map(|d| check_requirements(&d, ctx))
        }
        SectionName::Clarifications => {
            parse::<ClarificationsDraft>(value).map(|d| check_clarifications(&d))
        }
        SectionName::Workflows => parse::<WorkflowsDraft>(value).map(|d| check_workflows(&d)),
        SectionName::Domain => parse::<DomainDraft>(value).map(|d| check_domain(&d)),
        SectionName::Architecture => {
            parse::<ArchitectureDraft>(value).map(|d| check_architecture(&d))
        }
        SectionName::Refinement => {
            parse::<RefinementDraft>(value).map(|d| check_refinement(&d, ctx))
        }
        SectionName::Implementation => {
            parse::<ImplementationDraft>(value).map(|d| check_implementation(&d, ctx))
        }
        SectionName::IssuePlan => parse::<IssuePlanDraft>(value).map(|d| check_issue_plan(&d, ctx)),
    };
    result.unwrap_or_else(|problems| problems)
}

pub(super) fn blank(problems: &mut Vec<String>, path: &str, value: &str) {
    if value.trim().is_empty() {
        problems.push(format!("{path}: must not be empty"));
    }
}

pub(super) fn unique_ids<'a>(
    problems: &mut Vec<String>,
    list: &str,
    ids: impl Iterator<Item = &'a str>,
) {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if id.trim().is_empty() {
            problems.push(format!("{list}[{i}].id: must not be empty"));
        } else if !seen.insert(id) {
            problems.push(format!("{list}[{i}].id: duplicate id {id:?}"));
        }
    }
}

/// True when `hint` occurs in `prd` verbatim, or with only its white space
/// runs differing (models re-wrap lines; the words must still be the PRD's).
pub fn is_verbatim_excerpt(prd: &str, hint: &str) -> bool {
    let hint = hint.trim();
    if hint.is_empty() {
        return false;
    }
    if prd.contains(hint) {
        return true;
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    squash(prd).contains(&squash(hint))
}

/// Finds verbatim excerpts of a PRD without scanning it once per excerpt:
/// excerpts that start at a word are looked up by their first bytes, and only
/// the rest fall back to [`is_verbatim_excerpt`].
#[derive(Debug)]
pub struct ExcerptIndex<'a> {
    prd: &'a str,
    starts: std::collections::HashMap<&'a [u8], Vec<usize>>,
}

const EXCERPT_KEY: usize = 12;

impl<'a> ExcerptIndex<'a> {
    pub fn new(prd: &'a str) -> Self {
        let bytes = prd.as_bytes();
        let mut starts: std::collections::HashMap<&[u8], Vec<usize>> =
            std::collections::HashMap::new();
        for i in 0..bytes.len() {
            let at_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            if at_word && i + EXCERPT_KEY <= bytes.len() {
                starts
                    .entry(&bytes[i..i + EXCERPT_KEY])
                    .or_default()
                    .push(i);
            }
        }
        Self { prd, starts }
    }

    pub fn contains(&self, hint: &str) -> bool {
        let hint = hint.trim();
        self.indexed(hint) || is_verbatim_excerpt(self.prd, hint)
    }

    /// Whether `excerpt` occurs in the PRD byte for byte (no white space
    /// allowance), starting at a word: from the index when it is long
    /// enough to have a key, so checking thousands of excerpts does not scan
    /// the PRD once each.
    pub fn contains_at_word(&self, excerpt: &str) -> bool {
        if excerpt.len() >= EXCERPT_KEY {
            return self.indexed(excerpt);
        }
        let prd = self.prd.as_bytes();
        !excerpt.is_empty()
            && self
                .prd
                .match_indices(excerpt)
                .any(|(i, _)| i == 0 || !prd[i - 1].is_ascii_alphanumeric())
    }

    /// Found through the index: the excerpt starts at a word and is long
    /// enough to have a key.
    fn indexed(&self, excerpt: &str) -> bool {
        let bytes = excerpt.as_bytes();
        bytes.len() >= EXCERPT_KEY
            && self
                .starts
                .get(&bytes[..EXCERPT_KEY])
                .is_some_and(|positions| {
                    positions
                        .iter()
                        .any(|p| self.prd.as_bytes()[*p..].starts_with(bytes))
                })
    }
}
