//! The Voice JavaScript SDK's side of Dialtone: access tokens and the `/signal` WebSocket.
//!
//! An unmodified `@twilio/voice-sdk` 2.x connects to `wss://{chunderw}/signal` and speaks its
//! PStream protocol ([`signal`]); it authenticates with an access token minted by a Twilio
//! helper library ([`token`]), signed with one of the account's API keys. Everything about
//! ringing Devices, their calls and media goes through the [`DevicePort`], which the binary
//! implements with the runtime.

pub mod signal;
pub mod token;

use dialtone_store::Application;
use dialtone_types::{DeviceId, FromDevice, Sid, ToDevice};
use tokio::sync::mpsc;

use crate::BoxFuture;

/// A call a Device places (`invite`), with its TwiML App resolved.
#[derive(Debug, Clone)]
pub struct DeviceCallRequest {
    /// The Device.
    pub device: DeviceId,
    /// The SDK's temporary `TJS…` id of the call.
    pub temp: String,
    /// The token's account.
    pub account: Sid,
    /// The token's identity (`From=client:{identity}`).
    pub identity: String,
    /// The grant's outgoing application.
    pub application: Application,
    /// The `To` parameter, if sent.
    pub to: Option<String>,
    /// Every other parameter: the grant's `outgoing.params`, then the SDK's, as sent.
    pub params: Vec<(String, String)>,
    /// The browser's SDP offer.
    pub sdp: String,
}

/// What the signalling needs from the runtime.
pub trait DevicePort: Send + Sync + 'static {
    /// A Device connection of `identity` in `account` whose token was accepted; messages for it
    /// go to `tx`.
    fn connect(
        &self,
        account: Sid,
        identity: &str,
        tx: mpsc::UnboundedSender<ToDevice>,
    ) -> DeviceId;
    /// Registers (or unregisters) it for incoming calls.
    fn set_registered(&self, device: DeviceId, registered: bool);
    /// The connection is gone.
    fn disconnect(&self, device: DeviceId);
    /// A message about one of its calls.
    fn handle(&self, device: DeviceId, message: FromDevice);
    /// Places a call; an error is `(code, message)` for the Device's `hangup`.
    fn place_call(&self, request: DeviceCallRequest) -> BoxFuture<'_, Result<(), (u32, String)>>;
}
