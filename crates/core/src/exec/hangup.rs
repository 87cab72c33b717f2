//! `<Hangup>`: end the call. In a whisper document it declines the dialed call: the child
//! ends `completed` and the parent is not bridged.

use dialtone_types::Sid;

use super::Flow;
use crate::engine::Engine;

impl Engine {
    pub(crate) fn exec_hangup(&mut self, sid: Sid) -> Flow {
        self.hangup_call(sid);
        Flow::Wait
    }
}
