//! What a PRD section is for, judged from its heading path: features and
//! requirements to plan, or context (background, personas, competition,
//! monetisation, appendix…), assumptions, constraints, dependencies, risks,
//! non-goals and future ideas, which never become requirements.

use super::ids::priority_label;
use super::text::strip_numbering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Features, requirements, stories, scope, MVP, roadmap phases.
    Features,
    /// Non-functional requirements: they shape the NFRs and architecture.
    Quality,
    /// Technical architecture, stack, data model, APIs, file layout.
    Technical,
    /// An ordering of the work: a dependency chain, build order.
    Order,
    /// Flows and journeys.
    Flows,
    Assumptions,
    Constraints,
    Dependencies,
    Risks,
    NonGoals,
    Future,
    Questions,
    /// Background, goals, metrics, personas, market, competition, money,
    /// appendix, glossary, governance: read for the summary at most.
    Context,
    /// Nothing the heading path says.
    Unknown,
}

impl Role {
    /// Items in sections of this role are never requirements.
    pub fn excludes_requirements(self) -> bool {
        matches!(
            self,
            Role::Assumptions
                | Role::Constraints
                | Role::Dependencies
                | Role::Risks
                | Role::NonGoals
                | Role::Future
                | Role::Questions
                | Role::Context
                | Role::Order
        )
    }

    /// Mentions here are not integrations, stack or entities of the product.
    pub fn is_passing_mention(self) -> bool {
        matches!(
            self,
            Role::NonGoals | Role::Future | Role::Context | Role::Risks | Role::Questions
        )
    }
}

/// Patterns checked in order; the first that a heading contains decides.
const PATTERNS: &[(&str, Role)] = &[
    ("non-goal", Role::NonGoals),
    ("non goal", Role::NonGoals),
    ("nongoal", Role::NonGoals),
    ("out of scope", Role::NonGoals),
    ("out-of-scope", Role::NonGoals),
    ("not in scope", Role::NonGoals),
    ("won't", Role::NonGoals),
    ("wont have", Role::NonGoals),
    ("exclusion", Role::NonGoals),
    ("what we are not", Role::NonGoals),
    ("anti-goal", Role::NonGoals),
    ("dependency chain", Role::Order),
    ("logical dependency", Role::Order),
    ("build order", Role::Order),
    ("implementation order", Role::Order),
    ("development order", Role::Order),
    ("future", Role::Future),
    ("post-mvp", Role::Future),
    ("post mvp", Role::Future),
    ("later version", Role::Future),
    ("next version", Role::Future),
    ("beyond", Role::Future),
    ("backlog idea", Role::Future),
    ("wishlist", Role::Future),
    ("user stor", Role::Features),
    ("job stories", Role::Features),
    ("stories", Role::Features),
    ("use case", Role::Features),
    ("non-functional", Role::Quality),
    ("nonfunctional", Role::Quality),
    ("non functional", Role::Quality),
    ("nicht-funktional", Role::Quality),
    ("nichtfunktional", Role::Quality),
    ("niefunkcjonaln", Role::Quality),
    ("functional requirement", Role::Features),
    ("performance", Role::Quality),
    ("security", Role::Quality),
    ("privacy", Role::Quality),
    ("reliability", Role::Quality),
    ("scalability", Role::Quality),
    ("availability", Role::Quality),
    ("accessibility", Role::Quality),
    ("compliance", Role::Quality),
    ("maintainability", Role::Quality),
    ("quality attribute", Role::Quality),
    ("observability", Role::Quality),
    ("technical", Role::Technical),
    ("architecture", Role::Technical),
    ("tech stack", Role::Technical),
    ("technology", Role::Technical),
    ("stack", Role::Technical),
    ("data model", Role::Technical),
    ("schema", Role::Technical),
    ("api design", Role::Technical),
    ("api endpoint", Role::Technical),
    ("endpoints", Role::Technical),
    ("infrastructure", Role::Technical),
    ("deployment", Role::Technical),
    ("file structure", Role::Technical),
    ("folder structure", Role::Technical),
    ("project structure", Role::Technical),
    ("system component", Role::Technical),
    // Specifications of code units, not of features.
    ("component spec", Role::Technical),
    ("implementation spec", Role::Technical),
    ("integration point", Role::Technical),
    ("user flow", Role::Flows),
    ("user journey", Role::Flows),
    ("workflow", Role::Flows),
    ("flow", Role::Flows),
    ("journey", Role::Flows),
    ("user experience", Role::Flows),
    ("how it works", Role::Flows),
    ("scenario", Role::Flows),
    ("feature", Role::Features),
    ("functionalit", Role::Features),
    ("capabilit", Role::Features),
    ("requirement", Role::Features),
    ("epic", Role::Features),
    ("mvp", Role::Features),
    ("scope", Role::Features),
    ("roadmap", Role::Features),
    ("phase", Role::Features),
    ("milestone", Role::Features),
    ("release plan", Role::Features),
    ("what it does", Role::Features),
    ("acceptance criteria", Role::Features),
    ("specification", Role::Features),
    ("wymagania", Role::Features),
    ("funkcj", Role::Features),
    ("exigences", Role::Features),
    ("fonctionnalit", Role::Features),
    ("anforderung", Role::Features),
    ("funktionen", Role::Features),
    ("requisitos", Role::Features),
    ("funcionalidad", Role::Features),
    ("implementation", Role::Technical),
    ("assumption", Role::Assumptions),
    ("założenia", Role::Assumptions),
    ("hypoth", Role::Assumptions),
    ("constraint", Role::Constraints),
    ("limitation", Role::Constraints),
    ("ograniczenia", Role::Constraints),
    ("dependenc", Role::Dependencies),
    ("prerequisite", Role::Dependencies),
    ("risk", Role::Risks),
    ("mitigation", Role::Risks),
    ("ryzyk", Role::Risks),
    ("open question", Role::Questions),
    // Decisions still to take are questions, not work ("Key decisions" are made).
    ("open decision", Role::Questions),
    ("pending decision", Role::Questions),
    ("decisions pending", Role::Questions),
    ("undecided", Role::Questions),
    ("awaiting decision", Role::Questions),
    ("questions", Role::Questions),
    ("unknowns", Role::Questions),
    ("unresolved", Role::Questions),
    ("to be decided", Role::Questions),
    ("appendix", Role::Context),
    ("glossary", Role::Context),
    ("reference", Role::Context),
    ("persona", Role::Context),
    ("target user", Role::Context),
    ("target audience", Role::Context),
    ("stakeholder", Role::Context),
    ("competit", Role::Context),
    ("market", Role::Context),
    ("monetis", Role::Context),
    ("monetiz", Role::Context),
    ("pricing", Role::Context),
    ("business model", Role::Context),
    ("revenue", Role::Context),
    ("go-to-market", Role::Context),
    ("success metric", Role::Context),
    ("metrics", Role::Context),
    ("kpi", Role::Context),
    ("goal", Role::Context),
    ("objective", Role::Context),
    ("vision", Role::Context),
    ("background", Role::Context),
    ("problem", Role::Context),
    ("overview", Role::Context),
    ("summary", Role::Context),
    ("introduction", Role::Context),
    ("purpose", Role::Context),
    ("motivation", Role::Context),
    ("governance", Role::Context),
    ("timeline", Role::Context),
    ("budget", Role::Context),
    ("team", Role::Context),
    // "Revision history" is about the document; a "Revision page" is a feature.
    ("revision history", Role::Context),
    ("revision log", Role::Context),
    ("document revision", Role::Context),
    ("changelog", Role::Context),
    ("change log", Role::Context),
    ("document history", Role::Context),
    ("table of contents", Role::Context),
    ("approval", Role::Context),
    ("sign-off", Role::Context),
    ("research", Role::Context),
    ("why ", Role::Context),
];

/// The same roles in the other languages PRDs are written in (Chinese,
/// Japanese, Korean, Vietnamese, Ukrainian, Russian, German, French,
/// Spanish, Portuguese, Italian, Polish), checked after [`PATTERNS`] and in
/// this order: the narrower role first where one phrase holds another
/// ("非功能" before "功能", "技術需求" is technical).
const OTHER_LANGUAGES: &[(&str, Role)] = &[
    ("非目標", Role::NonGoals),
    ("非目标", Role::NonGoals),
    ("不在範圍", Role::NonGoals),
    ("不在范围", Role::NonGoals),
    ("範圍外", Role::NonGoals),
    ("范围外", Role::NonGoals),
    ("スコープ外", Role::NonGoals),
    ("対象外", Role::NonGoals),
    ("범위 외", Role::NonGoals),
    ("비목표", Role::NonGoals),
    ("ngoài phạm vi", Role::NonGoals),
    ("không bao gồm", Role::NonGoals),
    ("поза межами", Role::NonGoals),
    ("вне рамок", Role::NonGoals),
    ("не входит", Role::NonGoals),
    ("nicht im umfang", Role::NonGoals),
    ("außerhalb des umfangs", Role::NonGoals),
    ("hors périmètre", Role::NonGoals),
    ("hors du périmètre", Role::NonGoals),
    ("fuera de alcance", Role::NonGoals),
    ("fuera del alcance", Role::NonGoals),
    ("fora do escopo", Role::NonGoals),
    ("fuori ambito", Role::NonGoals),
    ("poza zakresem", Role::NonGoals),
    ("未來", Role::Future),
    ("未来", Role::Future),
    ("後續", Role::Future),
    ("后续", Role::Future),
    ("今後", Role::Future),
    ("将来", Role::Future),
    ("향후", Role::Future),
    ("추후", Role::Future),
    ("tương lai", Role::Future),
    ("майбутн", Role::Future),
    ("будущ", Role::Future),
    ("zukünftig", Role::Future),
    ("futures", Role::Future),
    ("futuras", Role::Future),
    ("futuros", Role::Future),
    ("przyszł", Role::Future),
    ("待解決", Role::Questions),
    ("待解决", Role::Questions),
    ("未解決", Role::Questions),
    ("未解决", Role::Questions),
    ("미해결", Role::Questions),
    ("미확정", Role::Questions),
    ("결정 대기", Role::Questions),
    ("待定", Role::Questions),
    ("未決定", Role::Questions),
    ("未定事項", Role::Questions),
    ("câu hỏi mở", Role::Questions),
    ("відкриті питання", Role::Questions),
    ("открытые вопросы", Role::Questions),
    ("offene fragen", Role::Questions),
    ("questions ouvertes", Role::Questions),
    ("preguntas abiertas", Role::Questions),
    ("非功能", Role::Quality),
    ("非機能", Role::Quality),
    ("비기능", Role::Quality),
    ("phi chức năng", Role::Quality),
    ("нефункціональн", Role::Quality),
    ("нефункциональн", Role::Quality),
    ("non fonctionnel", Role::Quality),
    ("non-fonctionnel", Role::Quality),
    ("no funcional", Role::Quality),
    ("não funcional", Role::Quality),
    ("效能", Role::Quality),
    ("性能", Role::Quality),
    ("安全", Role::Quality),
    ("隱私", Role::Quality),
    ("隐私", Role::Quality),
    ("セキュリティ", Role::Quality),
    ("パフォーマンス", Role::Quality),
    ("성능", Role::Quality),
    ("보안", Role::Quality),
    ("bảo mật", Role::Quality),
    ("hiệu năng", Role::Quality),
    ("безпек", Role::Quality),
    ("безопасн", Role::Quality),
    ("sicherheit", Role::Quality),
    ("sécurité", Role::Quality),
    ("seguridad", Role::Quality),
    ("segurança", Role::Quality),
    ("bezpieczeństw", Role::Quality),
    ("技術", Role::Technical),
    ("技术", Role::Technical),
    ("架構", Role::Technical),
    ("架构", Role::Technical),
    ("資料模型", Role::Technical),
    ("数据模型", Role::Technical),
    ("部署", Role::Technical),
    ("基礎設施", Role::Technical),
    ("基础设施", Role::Technical),
    ("アーキテクチャ", Role::Technical),
    ("データモデル", Role::Technical),
    ("기술", Role::Technical),
    ("아키텍처", Role::Technical),
    ("데이터 모델", Role::Technical),
    ("kỹ thuật", Role::Technical),
    ("kiến trúc", Role::Technical),
    ("triển khai", Role::Technical),
    ("технічн", Role::Technical),
    ("техническ", Role::Technical),
    ("архітектур", Role::Technical),
    ("архитектур", Role::Technical),
    ("інтеграц", Role::Technical),
    ("интеграц", Role::Technical),
    ("technisch", Role::Technical),
    ("architektur", Role::Technical),
    ("technique", Role::Technical),
    ("técnic", Role::Technical),
    ("arquitect", Role::Technical),
    ("arquitet", Role::Technical),
    ("techniczn", Role::Technical),
    ("流程", Role::Flows),
    ("情境", Role::Flows),
    ("フロー", Role::Flows),
    ("흐름", Role::Flows),
    ("luồng", Role::Flows),
    ("сценарі", Role::Flows),
    ("сценари", Role::Flows),
    ("ablauf", Role::Flows),
    ("parcours", Role::Flows),
    ("flujo", Role::Flows),
    ("fluxo", Role::Flows),
    ("功能", Role::Features),
    ("需求", Role::Features),
    ("使用者故事", Role::Features),
    ("用户故事", Role::Features),
    ("用戶故事", Role::Features),
    ("機能", Role::Features),
    ("要件", Role::Features),
    ("ユーザーストーリー", Role::Features),
    ("기능", Role::Features),
    ("요구사항", Role::Features),
    ("요구 사항", Role::Features),
    ("사용자 스토리", Role::Features),
    ("chức năng", Role::Features),
    ("tính năng", Role::Features),
    ("yêu cầu", Role::Features),
    ("функціонал", Role::Features),
    ("функционал", Role::Features),
    // "Функції", "Функции": the features, in Ukrainian and Russian.
    ("функці", Role::Features),
    ("функци", Role::Features),
    ("вимог", Role::Features),
    ("требован", Role::Features),
    ("funktion", Role::Features),
    ("funcionalidade", Role::Features),
    ("funzionalit", Role::Features),
    ("requisiti", Role::Features),
    ("假設", Role::Assumptions),
    ("假设", Role::Assumptions),
    ("前提", Role::Assumptions),
    ("가정", Role::Assumptions),
    ("giả định", Role::Assumptions),
    ("припущен", Role::Assumptions),
    ("допущен", Role::Assumptions),
    ("annahme", Role::Assumptions),
    ("supuesto", Role::Assumptions),
    ("premissa", Role::Assumptions),
    ("限制", Role::Constraints),
    ("約束", Role::Constraints),
    ("约束", Role::Constraints),
    ("制約", Role::Constraints),
    ("제약", Role::Constraints),
    ("ràng buộc", Role::Constraints),
    ("обмежен", Role::Constraints),
    ("ограничен", Role::Constraints),
    ("einschränkung", Role::Constraints),
    ("contrainte", Role::Constraints),
    ("restricci", Role::Constraints),
    ("restriç", Role::Constraints),
    ("依賴", Role::Dependencies),
    ("依赖", Role::Dependencies),
    ("依存", Role::Dependencies),
    ("의존", Role::Dependencies),
    ("phụ thuộc", Role::Dependencies),
    ("залежн", Role::Dependencies),
    ("зависимост", Role::Dependencies),
    ("abhängigkeit", Role::Dependencies),
    ("風險", Role::Risks),
    ("风险", Role::Risks),
    ("リスク", Role::Risks),
    ("위험", Role::Risks),
    ("리스크", Role::Risks),
    ("rủi ro", Role::Risks),
    ("ризик", Role::Risks),
    ("риск", Role::Risks),
    ("risiko", Role::Risks),
    ("risque", Role::Risks),
    ("riesgo", Role::Risks),
    ("risco", Role::Risks),
    ("rischi", Role::Risks),
    ("常見問題", Role::Context),
    ("常见问题", Role::Context),
    ("faq", Role::Context),
    ("目標", Role::Context),
    ("目标", Role::Context),
    ("目的", Role::Context),
    ("背景", Role::Context),
    ("概述", Role::Context),
    ("概要", Role::Context),
    ("簡介", Role::Context),
    ("简介", Role::Context),
    ("問題", Role::Context),
    ("问题", Role::Context),
    ("課題", Role::Context),
    ("市場", Role::Context),
    ("市场", Role::Context),
    ("競爭", Role::Context),
    ("竞争", Role::Context),
    ("競合", Role::Context),
    ("附錄", Role::Context),
    ("附录", Role::Context),
    ("付録", Role::Context),
    ("개요", Role::Context),
    ("목표", Role::Context),
    ("배경", Role::Context),
    ("시장", Role::Context),
    ("경쟁", Role::Context),
    ("수익", Role::Context),
    ("부록", Role::Context),
    ("giới thiệu", Role::Context),
    ("mục tiêu", Role::Context),
    ("bối cảnh", Role::Context),
    ("vấn đề", Role::Context),
    ("tiêu chí thành công", Role::Context),
    ("phụ lục", Role::Context),
    ("огляд", Role::Context),
    ("обзор", Role::Context),
    ("цілі", Role::Context),
    ("цели", Role::Context),
    ("проблем", Role::Context),
    ("ринок", Role::Context),
    ("рынок", Role::Context),
    ("конкурент", Role::Context),
    ("додатк", Role::Context),
    ("приложени", Role::Context),
    ("таймлайн", Role::Context),
    ("ziele", Role::Context),
    ("hintergrund", Role::Context),
    ("überblick", Role::Context),
    ("übersicht", Role::Context),
    ("wettbewerb", Role::Context),
    ("anhang", Role::Context),
    ("objectif", Role::Context),
    ("contexte", Role::Context),
    ("aperçu", Role::Context),
    ("marché", Role::Context),
    ("annexe", Role::Context),
    ("objetivo", Role::Context),
    ("contexto", Role::Context),
    ("resumen", Role::Context),
    ("mercado", Role::Context),
    ("anexo", Role::Context),
    ("przegląd", Role::Context),
];

/// The role one heading names, if any (priority headings name none).
pub fn heading_role(heading: &str) -> Option<Role> {
    let h = strip_numbering(heading).to_lowercase();
    if priority_label(&h).is_some_and(|p| p.is_ok()) && h.split_whitespace().count() <= 4 {
        return None;
    }
    let words: Vec<&str> = h
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    PATTERNS
        .iter()
        .chain(OTHER_LANGUAGES)
        .find(|(pattern, role)| {
            if pattern.ends_with(' ') {
                h.starts_with(pattern)
            } else if pattern.len() <= 4 {
                // Short patterns match whole words (or their plural) only.
                words
                    .iter()
                    .any(|w| *w == *pattern || w.strip_suffix('s') == Some(pattern))
            } else if *role == Role::Context && pattern.is_ascii() {
                // Context takes a section's features away, so it must start a
                // word: "Revision Page" holds "vision" but is a feature.
                starts_a_word(&h, pattern)
            } else {
                h.contains(pattern)
            }
        })
        .map(|(_, role)| *role)
}

/// Whether `pattern` occurs in `h` at the start of a word.
fn starts_a_word(h: &str, pattern: &str) -> bool {
    h.match_indices(pattern).any(|(at, _)| {
        !h[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    })
}

/// The role of a unit under `path` (outermost first). The innermost heading
/// that names a role decides, but an appendix, a non-goal, a future list, a
/// dependency chain, risks or open questions anywhere above win: "Step 2:
/// Visible MVP" under a dependency chain orders work, "Risk: MVP bloat" is a
/// risk. `title` is the document's title, which says nothing about sections.
pub fn role_of(path: &[String], title: Option<&str>) -> Role {
    let roles: Vec<Role> = path
        .iter()
        .filter(|h| title != Some(h.as_str()))
        .filter_map(|h| heading_role(h))
        .collect();
    if let Some(dominant) = roles.iter().find(|r| {
        matches!(
            r,
            Role::NonGoals | Role::Future | Role::Order | Role::Risks | Role::Questions
        )
    }) {
        return *dominant;
    }
    if path.iter().any(|h| {
        let h = h.to_lowercase();
        h.contains("appendix") || h.contains("glossary")
    }) {
        return Role::Context;
    }
    match roles.split_last() {
        // "8. Feature Requirements" > "8.2 Journey Detail Page": a feature
        // whose name holds a flow word ("journey", "flow") is still a feature.
        Some((Role::Flows, outer)) if outer.contains(&Role::Features) => Role::Features,
        Some((last, _)) => *last,
        None => Role::Unknown,
    }
}

/// [`role_of`] for every line of `doc`, computed once per distinct heading
/// path (lines under one heading share theirs), so a PRD of thousands of
/// items does not re-read its headings for each.
pub fn line_roles(doc: &super::document::Doc, title: Option<&str>) -> Vec<Role> {
    let mut known: std::collections::HashMap<*const Vec<String>, Role> =
        std::collections::HashMap::new();
    doc.lines
        .iter()
        .map(|l| {
            *known
                .entry(std::rc::Rc::as_ptr(&l.path))
                .or_insert_with(|| role_of(&l.path, title))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &[&str]) -> Role {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        role_of(&path, Some("Acme"))
    }

    #[test]
    fn headings_say_what_a_section_is_for() {
        assert_eq!(role(&["Acme", "Core Features", "2. Board"]), Role::Features);
        assert_eq!(
            role(&["Functional Requirements", "Must Have"]),
            Role::Features
        );
        assert_eq!(
            role(&["Non-Functional Requirements", "Security"]),
            Role::Quality
        );
        assert_eq!(role(&["Non-functional Requirements"]), Role::Quality);
        assert_eq!(role(&["Requirements", "Out of Scope"]), Role::NonGoals);
        assert_eq!(role(&["Appendix", "Feature table"]), Role::Context);
        assert_eq!(role(&["Assumptions"]), Role::Assumptions);
        assert_eq!(role(&["Logical Dependency Chain"]), Role::Order);
        assert_eq!(role(&["Monetisation"]), Role::Context);
        assert_eq!(role(&["Competitive Landscape"]), Role::Context);
        assert_eq!(role(&["Future Enhancements", "Sharing"]), Role::Future);
        assert_eq!(role(&["User Stories"]), Role::Features);
        assert_eq!(
            role(&["Development Roadmap", "Phase 1: MVP"]),
            Role::Features
        );
        assert_eq!(role(&["Acme"]), Role::Unknown);
        assert_eq!(role(&["16. Open decisions"]), Role::Questions);
        assert_eq!(
            role(&["8. Feature Requirements", "8.4 Journey Detail Page"]),
            Role::Features
        );
        assert_eq!(role(&["User Journeys", "Checkout flow"]), Role::Flows);
        assert_eq!(role(&["Features", "8.6 Revision Page"]), Role::Features);
        assert_eq!(role(&["19. Document Revision History"]), Role::Context);
        assert_eq!(
            role(&["9. Frontend Component Specifications", "9.1 AuthContext.js"]),
            Role::Technical
        );
        assert_eq!(
            role(&["10. Backend Implementation Specifications"]),
            Role::Technical
        );
        assert_eq!(role(&["Functional Specification"]), Role::Features);
        assert_eq!(role(&["Key Decisions"]), Role::Unknown);
        assert_eq!(
            role(&["Logical Dependency Chain", "Step 2: Visible Frontend MVP"]),
            Role::Order
        );
        assert_eq!(
            role(&["Risks and Mitigations", "Risk: MVP Bloat"]),
            Role::Risks
        );
    }

    #[test]
    fn headings_in_other_languages_say_the_same() {
        for (heading, expected) in [
            ("核心功能", Role::Features),
            ("非目標", Role::NonGoals),
            ("非功能需求", Role::Quality),
            ("技術實作", Role::Technical),
            ("待解決問題", Role::Questions),
            ("問題定位", Role::Context),
            ("風險評估", Role::Risks),
            ("機能要件", Role::Features),
            ("핵심 기능", Role::Features),
            ("2. Mô tả Chức năng Chi tiết", Role::Features),
            ("3. Yêu cầu Kỹ thuật", Role::Technical),
            ("6. Ngoài phạm vi (cho phiên bản đầu)", Role::NonGoals),
            ("Ключовий функціонал", Role::Features),
            ("2. Функції (основні)", Role::Features),
            ("13. 미확정 사항 (사용자 결정 대기)", Role::Questions),
            ("Основные функции", Role::Features),
            ("Ризики та їх мінімізація", Role::Risks),
            ("Funktionale Anforderungen", Role::Features),
            ("Nicht-funktionale Anforderungen", Role::Quality),
        ] {
            assert_eq!(heading_role(heading), Some(expected), "{heading}");
        }
    }
}
