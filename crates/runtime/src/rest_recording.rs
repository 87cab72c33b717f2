//! REST recording control on live calls (`CreateCallRecording`, `UpdateCallRecording`,
//! twilio-media.md §7.2–§7.3): the [`Handle`] side. The engine decides (its
//! `Input::Recording`); the answer is the recording as stored once the command's effect
//! landed (a new row `in-progress`, or the status `paused`, `in-progress`, `stopped`).
//!
//! Errors, in Twilio's codes: 20404 for a call or recording the account does not have (a
//! recording of another call included); 21220 for a call not in progress (ringing, ended) and
//! for a recording that is already finished or belongs to a `<Record>` verb.

use dialtone_core::{RecordingCommand, RecordingTarget};
use dialtone_store::{Recording, StoreError};
use dialtone_types::{Sid, TwilioCode};
use tokio::sync::oneshot;

use crate::driver::{Command, RecordingStored};
use crate::error::RuntimeError;
use crate::handle::Handle;

/// A recording command the engine has taken (it happens whatever becomes of this value);
/// [`RecordingAccepted::outcome`] waits until the store shows it.
#[derive(Debug)]
#[must_use = "the command happens anyway; `outcome` says what became of it"]
pub struct RecordingAccepted {
    handle: Handle,
    account: Sid,
    recording: Sid,
    stored: RecordingStored,
}

impl RecordingAccepted {
    /// The recording as stored after the command.
    pub async fn outcome(self) -> Result<Recording, RuntimeError> {
        if let Ok(Some(row)) = self.stored.await {
            return Ok(row);
        }
        Ok(self
            .handle
            .inner
            .shared
            .store
            .fetch_recording(self.account, self.recording)
            .await?)
    }
}

fn recording_not_found(account: Sid, call: Sid, recording: &str) -> RuntimeError {
    RuntimeError::new(
        TwilioCode::NOT_FOUND,
        404,
        format!(
            "The requested resource /2010-04-01/Accounts/{account}/Calls/{call}/Recordings/{recording}.json was not found"
        ),
    )
}

impl Handle {
    /// Starts, pauses, resumes or stops a recording of live call `call` and answers with the
    /// recording as then stored. See the module docs for the errors.
    pub async fn control_recording(
        &self,
        account: Sid,
        call: Sid,
        command: RecordingCommand,
    ) -> Result<Recording, RuntimeError> {
        self.submit_recording(account, call, command)
            .await?
            .outcome()
            .await
    }

    /// [`control_recording`](Self::control_recording) in two steps: every check happens
    /// before this returns; once it returned the engine has applied the command.
    pub async fn submit_recording(
        &self,
        account: Sid,
        call: Sid,
        command: RecordingCommand,
    ) -> Result<RecordingAccepted, RuntimeError> {
        self.check_accepting()?;
        let store = &self.inner.shared.store;
        let stored = match store.fetch_call(account, call).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound(_)) => {
                return Err(RuntimeError::call_not_found(account, call));
            }
            Err(e) => return Err(e.into()),
        };
        let target = match &command {
            RecordingCommand::Update {
                target: RecordingTarget::Sid(sid),
                ..
            } => Some(*sid),
            _ => None,
        };
        let e = if stored.status.is_terminal() {
            RuntimeError::invalid_state(format!(
                "Call {call} is {}: it is not in-progress",
                stored.status
            ))
        } else {
            let (reply, rx) = oneshot::channel();
            self.command(Command::Recording {
                account,
                call,
                command,
                reply,
            })
            .await?;
            match rx.await.map_err(|_| RuntimeError::shutting_down())? {
                Ok((recording, stored)) => {
                    return Ok(RecordingAccepted {
                        handle: self.clone(),
                        account,
                        recording,
                        stored,
                    });
                }
                Err(e) => e,
            }
        };
        // A recording SID the engine no longer holds: finished (21220) or not this call's.
        let Some(sid) = target else {
            return Err(e);
        };
        match store.fetch_recording(account, sid).await {
            Ok(r) if r.call_sid == call => Err(RuntimeError::invalid_state(format!(
                "Recording {sid} is {}: it can no longer be changed",
                r.status
            ))),
            Ok(_) | Err(StoreError::NotFound(_)) => {
                Err(recording_not_found(account, call, &sid.to_string()))
            }
            Err(other) => Err(other.into()),
        }
    }
}
