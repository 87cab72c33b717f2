//! The Voice SDK signalling's port ([`dialtone_api::voice_sdk::DevicePort`]) over the runtime's
//! [`Devices`](dialtone_runtime::Devices).

use dialtone_api::BoxFuture;
use dialtone_api::voice_sdk::{DeviceCallRequest, DevicePort};
use dialtone_types::{DeviceId, FromDevice, Sid, ToDevice};
use tokio::sync::mpsc;

/// The runtime behind `/signal`.
pub(crate) struct RuntimeDevices(pub(crate) dialtone_runtime::Handle);

impl DevicePort for RuntimeDevices {
    fn connect(
        &self,
        account: Sid,
        identity: &str,
        tx: mpsc::UnboundedSender<ToDevice>,
    ) -> DeviceId {
        self.0.devices().connect(account, identity, tx)
    }

    fn set_registered(&self, device: DeviceId, registered: bool) {
        self.0.devices().set_registered(device, registered);
    }

    fn disconnect(&self, device: DeviceId) {
        self.0.devices().disconnect(device);
    }

    fn handle(&self, device: DeviceId, message: FromDevice) {
        self.0.devices().handle(device, message);
    }

    fn place_call(&self, r: DeviceCallRequest) -> BoxFuture<'_, Result<(), (u32, String)>> {
        Box::pin(async move {
            self.0
                .submit_device_call(
                    r.device,
                    &r.temp,
                    r.account,
                    &r.identity,
                    r.application,
                    r.to,
                    r.params,
                    &r.sdp,
                )
                .await
                .map(drop)
                .map_err(|e| (e.code.0, e.message.clone()))
        })
    }
}
