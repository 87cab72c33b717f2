//! The runtime behind the API's [`CallControl`] port: a thin translation between the API's
//! validated requests and `dialtone-runtime`'s, and from the runtime's errors to the API's.

use dialtone_api::{
    Accepted, BoxFuture, CallControl, CallSource, CallUpdateRequest, ControlError, NewCallRequest,
    PauseBehavior, RecordingRef, RecordingStartRequest, RecordingUpdate, Softphone,
    SoftphoneCallRequest, TargetStatus,
};
use dialtone_runtime as rt;
use dialtone_store::{Call, Recording};
use dialtone_types::{E164, Sid};

/// [`dialtone_runtime::Handle`] as the API's call engine.
#[derive(Debug, Clone)]
pub struct RuntimeControl(pub rt::Handle);

fn error(e: rt::RuntimeError) -> ControlError {
    ControlError {
        retry_after: e.retry_after,
        status: axum::http::StatusCode::from_u16(e.http_status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        code: e.code,
        message: e.message,
    }
}

/// The runtime's second step as the API's: nothing is awaited between the runtime taking the
/// request and this returning, so the API marks its point of no return in the same poll.
fn accepted(a: rt::Accepted) -> Accepted<'static, Call> {
    Box::pin(async move { a.outcome().await.map_err(error) })
}

fn recording_accepted(a: rt::RecordingAccepted) -> Accepted<'static, Recording> {
    Box::pin(async move { a.outcome().await.map_err(error) })
}

fn recording_command(target: RecordingRef, update: RecordingUpdate) -> rt::RecordingCommand {
    rt::RecordingCommand::Update {
        target: match target {
            RecordingRef::Sid(sid) => rt::RecordingTarget::Sid(sid),
            RecordingRef::Current => rt::RecordingTarget::Current,
        },
        change: match update {
            RecordingUpdate::Pause(PauseBehavior::Skip) => {
                rt::RecordingChange::Pause(rt::PauseBehavior::Skip)
            }
            RecordingUpdate::Pause(PauseBehavior::Silence) => {
                rt::RecordingChange::Pause(rt::PauseBehavior::Silence)
            }
            RecordingUpdate::Resume => rt::RecordingChange::Resume,
            RecordingUpdate::Stop => rt::RecordingChange::Stop,
        },
    }
}

fn source(s: CallSource) -> rt::CallSource {
    match s {
        CallSource::Url(url) => rt::CallSource::Url(url),
        CallSource::Twiml(text) => rt::CallSource::Twiml(text),
    }
}

fn softphone(s: rt::Softphone) -> Softphone {
    Softphone {
        identity: s.config.identity,
        behavior: s.config.behavior,
        answer_after: s.config.answer_after,
        hangup_after: s.config.hangup_after,
        digits: s.config.digits,
        audio: s.config.audio,
    }
}

fn recording_options(r: RecordingStartRequest) -> rt::RecordingOptions {
    rt::RecordingOptions {
        callback: r.callback,
        callback_method: r.callback_method,
        events: r.events,
        trim: r.trim,
        channels: r.channels,
        track: r.track,
    }
}

impl CallControl for RuntimeControl {
    fn create_call(
        &self,
        r: NewCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            let request = rt::CreateCall {
                account: r.account,
                to: r.to,
                from: r.from,
                source: source(r.source),
                method: r.method,
                fallback_url: r.fallback_url,
                fallback_method: r.fallback_method,
                status_callback: r.status_callback,
                status_callback_method: r.status_callback_method,
                status_callback_events: r.status_callback_events,
                timeout: r.timeout,
                time_limit: r.time_limit,
                application_sid: r.application_sid,
                record: r.record.map(recording_options),
            };
            self.0
                .submit_call(request)
                .await
                .map(accepted)
                .map_err(error)
        })
    }

    fn update_call(
        &self,
        account: Sid,
        call: Sid,
        r: CallUpdateRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            let update = rt::UpdateCall {
                redirect: r.redirect.map(source),
                method: r.method,
                status: r.status.map(|s| match s {
                    TargetStatus::Completed => rt::TargetStatus::Completed,
                    TargetStatus::Canceled => rt::TargetStatus::Canceled,
                }),
                fallback_url: r.fallback_url,
                fallback_method: r.fallback_method,
                status_callback: r.status_callback,
                status_callback_method: r.status_callback_method,
                time_limit: r.time_limit,
            };
            self.0
                .submit_update(account, call, update)
                .await
                .map(accepted)
                .map_err(error)
        })
    }

    fn start_recording(
        &self,
        account: Sid,
        call: Sid,
        r: RecordingStartRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>> {
        Box::pin(async move {
            let command = rt::RecordingCommand::Start(Box::new(recording_options(r)));
            self.0
                .submit_recording(account, call, command)
                .await
                .map(recording_accepted)
                .map_err(error)
        })
    }

    fn update_recording(
        &self,
        account: Sid,
        call: Sid,
        recording: RecordingRef,
        update: RecordingUpdate,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>> {
        Box::pin(async move {
            self.0
                .submit_recording(account, call, recording_command(recording, update))
                .await
                .map(recording_accepted)
                .map_err(error)
        })
    }

    fn register_softphone(
        &self,
        account: Sid,
        s: Softphone,
    ) -> BoxFuture<'_, Result<Softphone, ControlError>> {
        Box::pin(async move {
            let config = rt::SoftphoneConfig {
                identity: s.identity,
                behavior: s.behavior,
                answer_after: s.answer_after,
                hangup_after: s.hangup_after,
                digits: s.digits,
                audio: s.audio,
            };
            self.0
                .softphones()
                .try_register(account, config)
                .map(softphone)
                .map_err(error)
        })
    }

    fn list_softphones(&self, account: Sid) -> BoxFuture<'_, Vec<Softphone>> {
        Box::pin(async move {
            self.0
                .softphones()
                .list(account)
                .into_iter()
                .map(softphone)
                .collect()
        })
    }

    fn remove_softphone(&self, account: Sid, identity: String) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.0.softphones().remove(account, &identity) })
    }

    fn start_softphone_call(
        &self,
        r: SoftphoneCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            self.0
                .submit_softphone_call(r.account, &r.identity, r.application, r.to, r.params)
                .await
                .map(accepted)
                .map_err(error)
        })
    }

    fn set_whatsapp_senders(
        &self,
        account: Sid,
        senders: Vec<E164>,
    ) -> BoxFuture<'_, Result<(), ControlError>> {
        Box::pin(async move {
            self.0
                .set_whatsapp_senders(account, senders)
                .await
                .map_err(error)
        })
    }
}
