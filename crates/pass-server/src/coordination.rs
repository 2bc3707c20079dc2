//! The coordination rail's routes: a revision's questions as records people
//! answer, the approval gate between a plan and its issues, refinements that
//! plan the next revision from an answer or a request, and the pause and
//! resume of a sync around a blocking question.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pass_contracts::api::{DispatchOptions, RunEnvelope};
use pass_contracts::coordination::{
    AcceptDefault, AnsweredQuestion, ApproveRequest, Clarification, ClarificationAnswer,
    ClarificationList, ClarificationOutcome, ClarificationStatus, NewClarification, PlanState,
    Refinement, RefinementRequest, clarifications_from_pack,
};
use pass_contracts::{ErrorCode, ExecutionStatus, RunDetail, Text, Timestamp, WorkflowName};
use uuid::Uuid;

use crate::app::AppState;
use crate::body::{JsonBody, OptionalJsonBody};
use crate::error::ApiError;
use crate::projects::parse_project_id;
use crate::runs::parse_run_id;
use crate::store::{RunGuard, Store};

/// `GET /runs/{runId}/clarifications`.
pub async fn list_clarifications(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ClarificationList>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    let clarifications = state.store.clarifications(run_id).await?;
    Ok(Json(ClarificationList { clarifications }))
}

fn text(value: &str) -> Option<Text> {
    Text::new(value).ok()
}

/// The next `Q-<n>` nobody used in the list.
fn next_id(existing: &[Clarification]) -> String {
    (existing.len() + 1..)
        .map(|n| format!("Q-{n}"))
        .find(|id| !existing.iter().any(|c| c.id.as_str() == id))
        .unwrap_or_else(|| format!("Q-{}", Uuid::new_v4().simple()))
}

/// `POST /runs/{runId}/clarifications`: a person or an agent asks. A
/// blocking question asked while the run's sync is under way makes the
/// agent pause after the item it is writing.
pub async fn add_clarification(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(asked): JsonBody<NewClarification>,
) -> Result<(StatusCode, Json<Clarification>), ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    let guard = state.store.lock_run(run_id).await?;
    let mut clarifications = guard.clarifications().await?;
    let now = Timestamp::now();
    let clarification = Clarification {
        id: text(&next_id(&clarifications)).ok_or_else(|| ApiError::bad_request("no id"))?,
        why: asked.why.unwrap_or_else(|| {
            Text::new("Asked while the plan was under way.")
                .unwrap_or_else(|_| asked.question.clone())
        }),
        question: asked.question,
        default_assumption: asked.default_assumption,
        blocking: asked.blocking,
        affects: asked.affects,
        status: ClarificationStatus::Open,
        answer: None,
        answered_by: None,
        answered_at: None,
        asked_by: asked
            .asked_by
            .unwrap_or_else(|| Text::new("api").unwrap_or_else(|_| unreachable_text())),
        created_at: now,
    };
    clarifications.push(clarification.clone());
    guard.save_clarifications(clarifications).await?;
    if clarification.blocking {
        let mut detail = guard.load().await?;
        if let Some(execution) = detail.execution.as_mut() {
            let syncing = execution.workflow_name == WorkflowName::Implementation
                && !execution.status.is_final();
            if syncing {
                execution.pause_reason = text(&format!(
                    "blocking question {} was asked: {}",
                    clarification.id, clarification.question
                ));
                detail.last_updated_at = now;
                guard.save(&detail).await?;
                tracing::info!(%run_id, clarification = %clarification.id, "sync asked to pause for a blocking question");
            }
        }
    }
    drop(guard);
    Ok((StatusCode::CREATED, Json(clarification)))
}

/// A literal that is never empty; `Text::new` on it cannot fail.
fn unreachable_text() -> Text {
    Text::new("-").expect("a non-empty literal")
}

fn find_open<'a>(
    clarifications: &'a mut [Clarification],
    run_id: Uuid,
    id: &str,
) -> Result<&'a mut Clarification, ApiError> {
    clarifications
        .iter_mut()
        .find(|c| c.id.as_str() == id)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ClarificationNotFound,
                format!("run {run_id} has no clarification {id:?}"),
            )
        })
}

/// `POST /runs/{runId}/clarifications/{id}/answer`. Unless `replan` is
/// false (or the answer is the default the plan assumed), the next revision
/// is planned with it; a sync paused for it starts again.
pub async fn answer_clarification(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    JsonBody(answer): JsonBody<ClarificationAnswer>,
) -> Result<Json<ClarificationOutcome>, ApiError> {
    let Path((raw, id)) = path?;
    let run_id = parse_run_id(&raw)?;
    let guard = state.store.lock_run(run_id).await?;
    let mut clarifications = guard.clarifications().await?;
    let clarification = find_open(&mut clarifications, run_id, &id)?;
    let same_as_default = clarification
        .default_assumption
        .as_ref()
        .is_some_and(|d| d.trim().eq_ignore_ascii_case(answer.answer.trim()));
    clarification.status = ClarificationStatus::Answered;
    clarification.answer = Some(answer.answer.clone());
    clarification.answered_by = answer.answered_by.clone();
    clarification.answered_at = Some(Timestamp::now());
    let settled = clarification.clone();
    guard.save_clarifications(clarifications.clone()).await?;
    let detail = guard.load().await?;
    drop(guard);
    let replan = answer.replan.unwrap_or(true) && !same_as_default;
    let revision_run_id = if replan {
        let refinement = Refinement {
            base_run_id: run_id,
            requests: Vec::new(),
            answers: vec![AnsweredQuestion {
                id: settled.id.clone(),
                question: settled.question.clone(),
                answer: answer.answer,
            }],
        };
        Some(next_revision(&state, &detail, refinement).await?.run_id)
    } else {
        None
    };
    let resumed = resume_if_unblocked(&state, run_id, &clarifications).await?;
    Ok(Json(ClarificationOutcome {
        clarification: settled,
        revision_run_id,
        resumed,
    }))
}

/// `POST /runs/{runId}/clarifications/{id}/accept-default`.
pub async fn accept_default(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    OptionalJsonBody(accept): OptionalJsonBody<AcceptDefault>,
) -> Result<Json<ClarificationOutcome>, ApiError> {
    let Path((raw, id)) = path?;
    let run_id = parse_run_id(&raw)?;
    let guard = state.store.lock_run(run_id).await?;
    let mut clarifications = guard.clarifications().await?;
    let clarification = find_open(&mut clarifications, run_id, &id)?;
    let Some(default) = clarification.default_assumption.clone() else {
        return Err(ApiError::new(
            ErrorCode::RunConflict,
            format!(
                "clarification {id} of run {run_id} has no default assumption to accept; answer it instead"
            ),
        ));
    };
    clarification.status = ClarificationStatus::Defaulted;
    clarification.answer = Some(default);
    clarification.answered_by = accept.accepted_by;
    clarification.answered_at = Some(Timestamp::now());
    let settled = clarification.clone();
    guard.save_clarifications(clarifications.clone()).await?;
    drop(guard);
    let resumed = resume_if_unblocked(&state, run_id, &clarifications).await?;
    Ok(Json(ClarificationOutcome {
        clarification: settled,
        revision_run_id: None,
        resumed,
    }))
}

/// Starts again, on the same backend, a sync that paused for a blocking
/// question, once no blocking question is open any more.
async fn resume_if_unblocked(
    state: &AppState,
    run_id: Uuid,
    clarifications: &[Clarification],
) -> Result<bool, ApiError> {
    if clarifications
        .iter()
        .any(Clarification::is_open_and_blocking)
    {
        return Ok(false);
    }
    let (detail, _) = state.store.get_run(run_id)?;
    let paused = detail.execution.as_ref().is_some_and(|e| {
        e.status == ExecutionStatus::Paused && e.workflow_name == WorkflowName::Implementation
    });
    if !paused {
        return Ok(false);
    }
    state
        .dispatcher
        .dispatch(
            &state.store,
            run_id,
            WorkflowName::Implementation,
            state.server_base.clone(),
            DispatchOptions::default(),
        )
        .await
        .map_err(crate::runs::dispatch_error)?;
    tracing::info!(%run_id, "paused sync resumed after its blocking questions were settled");
    Ok(true)
}

/// The open blocking questions, named for a refusal.
fn blocking_list(clarifications: &[Clarification]) -> Vec<String> {
    clarifications
        .iter()
        .filter(|c| c.is_open_and_blocking())
        .map(|c| format!("{} ({})", c.id, c.question))
        .collect()
}

/// `POST /runs/{runId}/approve`: the plan may be synced. Refused while
/// blocking questions are open, unless the request accepts their defaults.
pub async fn approve(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    OptionalJsonBody(request): OptionalJsonBody<ApproveRequest>,
) -> Result<Json<RunEnvelope>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    let guard = state.store.lock_run(run_id).await?;
    let mut detail = guard.load().await?;
    if detail.plan_state.is_none() {
        return Err(ApiError::new(
            ErrorCode::RunConflict,
            format!(
                "run {run_id} has no exported plan to approve yet; dispatch phase1-planner first"
            ),
        ));
    }
    let mut clarifications = guard.clarifications().await?;
    let blocking = blocking_list(&clarifications);
    if !blocking.is_empty() {
        let without_default: Vec<String> = clarifications
            .iter()
            .filter(|c| c.is_open_and_blocking() && c.default_assumption.is_none())
            .map(|c| c.id.to_string())
            .collect();
        if !request.accept_defaults || !without_default.is_empty() {
            let mut message = format!(
                "run {run_id} has open blocking questions: {}; answer them",
                blocking.join("; ")
            );
            if without_default.is_empty() {
                message.push_str(
                    ", or approve with accept_defaults to settle them with the plan's defaults",
                );
            } else {
                message.push_str(&format!(
                    " ({} {} no default to accept)",
                    without_default.join(", "),
                    if without_default.len() == 1 {
                        "has"
                    } else {
                        "have"
                    }
                ));
            }
            return Err(ApiError::new(ErrorCode::BlockingClarifications, message));
        }
        let now = Timestamp::now();
        for clarification in clarifications
            .iter_mut()
            .filter(|c| c.is_open_and_blocking())
        {
            clarification.status = ClarificationStatus::Defaulted;
            clarification.answer = clarification.default_assumption.clone();
            clarification.answered_by = request.approved_by.clone();
            clarification.answered_at = Some(now);
        }
        guard.save_clarifications(clarifications).await?;
    }
    let now = Timestamp::now();
    if detail.plan_state == Some(PlanState::Draft) {
        detail.plan_state = Some(PlanState::Approved);
    }
    detail.approved_at = Some(now);
    detail.approved_by = request.approved_by;
    detail.last_updated_at = now;
    guard.save(&detail).await?;
    tracing::info!(%run_id, "plan approved");
    Ok(Json(RunEnvelope { run: detail }))
}

/// `POST /projects/{projectId}/refinements`: the next revision, planned
/// from the newest revision that has a plan with the request applied.
pub async fn refine_project(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<RefinementRequest>,
) -> Result<(StatusCode, Json<RunEnvelope>), ApiError> {
    let Path(raw) = path?;
    let project_id = parse_project_id(&raw)?;
    let revisions = state.store.revisions(project_id)?;
    let mut base = None;
    for revision in revisions.iter().rev() {
        let (detail, artifacts) = state.store.get_run(revision.run_id)?;
        if artifacts
            .iter()
            .any(|a| a.name == pass_contracts::artifacts::names::ARCHITECTURE_PACK)
        {
            base = Some(detail);
            break;
        }
    }
    let base = base.ok_or_else(|| {
        ApiError::new(
            ErrorCode::RunConflict,
            format!("project {project_id} has no planned revision to refine yet"),
        )
    })?;
    let refinement = Refinement {
        base_run_id: base.run_id,
        requests: vec![request.request],
        answers: Vec::new(),
    };
    let mut run = next_revision(&state, &base, refinement).await?;
    if let Some(by) = request.requested_by {
        run = state
            .store
            .update_run(run.run_id, move |detail: &mut RunDetail| {
                if let Some(input) = detail.input.as_mut() {
                    input.requested_by = Some(by);
                }
                Ok::<_, ApiError>(())
            })
            .await?
            .0;
    }
    Ok((StatusCode::CREATED, Json(RunEnvelope { run })))
}

/// Creates the next revision of `base`'s project refining `base`, and
/// dispatches its planner.
async fn next_revision(
    state: &AppState,
    base: &RunDetail,
    refinement: Refinement,
) -> Result<RunDetail, ApiError> {
    let mut input = base.input.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::RunConflict,
            format!("run {} has no input to refine", base.run_id),
        )
    })?;
    input.project_id = Some(base.project());
    input.refinement = Some(refinement);
    let detail = RunDetail::new(Uuid::new_v4(), input, Timestamp::now());
    let run = state.store.create_run(detail).await?;
    tracing::info!(run_id = %run.run_id, revision = run.revision_number(), base = %base.run_id, "refinement revision created");
    if let Err(error) = state
        .dispatcher
        .dispatch(
            &state.store,
            run.run_id,
            WorkflowName::Planner,
            state.server_base.clone(),
            DispatchOptions::default(),
        )
        .await
    {
        tracing::error!(run_id = %run.run_id, %error, "could not start planning the refinement revision");
    }
    let (run, _) = state.store.get_run(run.run_id)?;
    Ok(run)
}

/// After an `architecture_pack` upload: the plan's questions become the
/// run's clarification records (keeping the ids and settlements the previous
/// revision had, and the answers this revision was planned with), and the
/// plan is a draft until approved. An upload that is not a valid pack (the
/// contract lets clients store anything) leaves both alone.
pub async fn record_plan(
    store: &Store,
    guard: &RunGuard,
    payload: &serde_json::Value,
) -> Result<(), ApiError> {
    let Ok(pack) = pass_contracts::validate_pack_value(payload) else {
        return Ok(());
    };
    let mut detail = guard.load().await?;
    let previous = previous_clarifications(store, &detail).await?;
    let now = Timestamp::now();
    let mut records = clarifications_from_pack(&pack, &previous, now);
    settle_with_refinement(&mut records, &detail);
    keep_asked_questions(&mut records, guard.clarifications().await?);
    guard.save_clarifications(records).await?;
    detail.plan_state = Some(PlanState::Draft);
    detail.approved_at = None;
    detail.approved_by = None;
    detail.last_updated_at = now;
    guard.save(&detail).await?;
    Ok(())
}

/// The records of the newest earlier revision that has any.
async fn previous_clarifications(
    store: &Store,
    detail: &RunDetail,
) -> Result<Vec<Clarification>, ApiError> {
    let revision = detail.revision_number();
    let Ok(revisions) = store.revisions(detail.project()) else {
        return Ok(Vec::new());
    };
    for earlier in revisions.iter().rev().filter(|r| r.revision < revision) {
        let records = store.clarifications(earlier.run_id).await?;
        if !records.is_empty() {
            return Ok(records);
        }
    }
    Ok(Vec::new())
}

/// Questions this revision was planned with an answer to are answered.
fn settle_with_refinement(records: &mut [Clarification], detail: &RunDetail) {
    let Some(refinement) = detail.input.as_ref().and_then(|i| i.refinement.as_ref()) else {
        return;
    };
    for answered in &refinement.answers {
        for record in records
            .iter_mut()
            .filter(|r| r.id == answered.id || r.question == answered.question)
        {
            record.status = ClarificationStatus::Answered;
            record.answer = Some(answered.answer.clone());
            record.answered_at = record.answered_at.or(Some(detail.created_at));
        }
    }
}

/// Questions people or agents asked on this run stay when it is re-planned.
fn keep_asked_questions(records: &mut Vec<Clarification>, existing: Vec<Clarification>) {
    for asked in existing
        .into_iter()
        .filter(|c| c.asked_by.as_str() != "plan")
    {
        if !records.iter().any(|r| r.id == asked.id) {
            records.push(asked);
        }
    }
}

/// Refuses to dispatch implementation for a plan its project wants approved
/// first, saying what is missing.
pub fn check_approved(store: &Store, detail: &RunDetail) -> Result<(), String> {
    let project = match store.project(detail.project()) {
        Ok(project) => project,
        Err(_) => return Ok(()),
    };
    if !project.require_approval {
        return Ok(());
    }
    match detail.plan_state {
        Some(PlanState::Approved | PlanState::Synced) => Ok(()),
        _ => Err(format!(
            "revision {} of project {:?} is not approved: its plan must be approved before its issues are synced (POST /runs/{}/approve, or `pass approve {}`)",
            detail.revision_number(),
            project.name.as_str(),
            detail.run_id,
            detail.run_id
        )),
    }
}

/// Once an implementation state is recorded the plan is synced.
pub fn mark_synced(detail: &mut RunDetail) {
    if detail.plan_state.is_some() {
        detail.plan_state = Some(PlanState::Synced);
    }
}
