//! Meta's Graph calling API as typed data: the bodies of `POST /{version}/{phone-number-id}/calls`
//! (`connect`, `pre_accept`, `accept`, `reject`, `terminate`), the success bodies, the
//! `call_permissions` answer, `POST /{phone-number-id}/messages`, a builder that turns them into plain HTTP requests, and the
//! decoding of answers. No IO: the runtime sends the requests and feeds the answers back.

mod body;
mod decode;
mod message;
mod request;
mod response;

pub use body::{
    CallAction, CallRequest, MAX_OPAQUE_DATA_CHARS, MESSAGING_PRODUCT, SdpType, Session,
};
pub use decode::{decode, decode_connect, decode_success};
pub use message::{OutgoingMessage, decode_message};
pub use request::{
    DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, GraphConfig, GraphRequests, HttpMethod, HttpRequest,
    RequestError, digits,
};
pub use response::{
    ACTION_SEND_PERMISSION_REQUEST, ACTION_START_CALL, ActionLimit, CallPermissionsResponse,
    CallRef, ConnectResponse, Permission, PermissionAction, PermissionStatus, SuccessResponse,
};
