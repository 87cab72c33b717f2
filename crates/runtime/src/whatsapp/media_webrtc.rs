//! The media seam over `dialtone-media`'s WebRTC legs (str0m: full ICE, DTLS-SRTP, Opus).

use dialtone_media::{MediaEngine, MediaLeg, MediaOffer};

use super::media::{Answered, BoxFuture, MediaBackend, MediaEvent, MediaSession, PendingOffer};

/// WebRTC legs made by a [`MediaEngine`].
#[derive(Debug, Clone)]
pub(crate) struct WebRtcMedia(pub(crate) MediaEngine);

impl MediaBackend for WebRtcMedia {
    fn offer(&self) -> BoxFuture<'_, Result<Box<dyn PendingOffer>, String>> {
        Box::pin(async move {
            let offer = self.0.offer().await.map_err(|e| e.to_string())?;
            Ok(Box::new(offer) as Box<dyn PendingOffer>)
        })
    }

    fn answer<'a>(&'a self, remote_offer: &'a str) -> BoxFuture<'a, Result<Answered, String>> {
        Box::pin(async move {
            let (leg, answer) = self
                .0
                .answer(remote_offer)
                .await
                .map_err(|e| e.to_string())?;
            Ok((Box::new(leg) as Box<dyn MediaSession>, answer))
        })
    }
}

impl PendingOffer for MediaOffer {
    fn sdp(&self) -> &str {
        MediaOffer::sdp(self)
    }

    fn accept(self: Box<Self>, remote_answer: &str) -> Result<Box<dyn MediaSession>, String> {
        let leg = MediaOffer::accept(*self, remote_answer).map_err(|e| e.to_string())?;
        Ok(Box::new(leg))
    }
}

impl MediaSession for MediaLeg {
    fn event(&mut self) -> BoxFuture<'_, Option<MediaEvent>> {
        Box::pin(async move {
            Some(match MediaLeg::event(self).await? {
                dialtone_media::MediaEvent::Connected => MediaEvent::Connected,
                dialtone_media::MediaEvent::Digit(digit) => MediaEvent::Digit(digit),
                dialtone_media::MediaEvent::Failed(reason) => MediaEvent::Failed(reason),
                dialtone_media::MediaEvent::Played(id) => MediaEvent::Played(id),
            })
        })
    }

    fn audio(&self) -> Option<dialtone_media::LegControl> {
        Some(self.control())
    }

    fn close(self: Box<Self>) {
        MediaLeg::close(*self);
    }
}
