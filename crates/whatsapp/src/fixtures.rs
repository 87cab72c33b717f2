//! Test SDPs shaped like Meta's documented samples (reference §3.1): an ICE-lite user-initiated
//! offer, Meta's answer to a business offer, and a full-ICE business offer. Keys and addresses
//! are made up.

/// Meta's offer for a user-initiated call.
pub const META_OFFER: &str = "v=0\r\n\
o=- 1760681506762 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE audio\r\n\
a=msid-semantic: WMS 5f1e0c2a\r\n\
a=ice-lite\r\n\
m=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\n\
c=IN IP4 57.144.215.49\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=candidate:3935165743 1 udp 2122260223 57.144.215.49 3484 typ host generation 0 network-cost 50\r\n\
a=candidate:2617197009 1 udp 2122262783 2a03:2880:f36b:131:face:b00c:0:699c 3484 typ host generation 0 network-cost 50\r\n\
a=ice-ufrag:Qw3rTy7uIoPaSdFg\r\n\
a=ice-pwd:z8X7c6V5b4N3m2L1k0J9h8G7\r\n\
a=fingerprint:sha-256 4F:2A:19:C3:77:0E:B1:58:D2:6C:93:A0:1B:E4:3F:85:70:CC:29:DE:11:4B:A7:62:9D:F0:38:5E:C1:07:B6:2D\r\n\
a=setup:actpass\r\n\
a=mid:audio\r\n\
a=sendrecv\r\n\
a=msid:5f1e0c2a WhatsAppTrack1\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=maxptime:20\r\n\
a=ptime:20\r\n\
a=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n";

/// Meta's answer to a business-initiated offer.
pub const META_ANSWER: &str = "v=0\r\n\
o=- 1760681599120 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE audio\r\n\
a=ice-lite\r\n\
m=audio 3482 UDP/TLS/RTP/SAVPF 111 126\r\n\
c=IN IP4 157.240.19.130\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=candidate:1 1 udp 2122260223 157.240.19.130 3482 typ host generation 0\r\n\
a=candidate:2 1 udp 2122262783 2a03:2880:f21c:81:face:b00c:0:1 3482 typ host generation 0\r\n\
a=ice-ufrag:Mn8bV7cX6zL5kJ4h\r\n\
a=ice-pwd:p0O9i8U7y6T5r4E3w2Q1a2S3\r\n\
a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n\
a=setup:active\r\n\
a=mid:audio\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=ptime:20\r\n";

/// A business offer for a business-initiated call (full ICE, one host candidate).
pub const BUSINESS_OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
m=audio 50000 UDP/TLS/RTP/SAVPF 111 126\r\n\
c=IN IP4 203.0.113.10\r\n\
a=candidate:1 1 udp 2130706431 203.0.113.10 50000 typ host\r\n\
a=ice-ufrag:dTn1\r\n\
a=ice-pwd:Yh6sT2kq9Lm4Xw8Zr1Pc5Vb3\r\n\
a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=20;useinbandfec=1\r\n\
a=rtpmap:126 telephone-event/8000\r\n";
