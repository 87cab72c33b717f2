//! parse(serialize(model)) == model for generated models, including text that needs escaping,
//! whitespace at the ends of text, unknown attributes and unknown elements.

use dialtone_twiml::{
    ClientNoun, ConferenceBeep, ConferenceNoun, Context, Dial, DialNoun, DialRecord, Document,
    Element, Gather, GatherChild, GatherInput, Hangup, Method, NumberNoun, Pause, Play, QueueNoun,
    Record, Redirect, Reject, RejectReason, Say, SpeechTimeout, StatusCallbackEvents, Trim, Verb,
    WhatsAppNoun, parse,
};
use dialtone_types::E164;
use proptest::prelude::*;

/// Any text a document can carry: markup characters, quotes, non-ASCII, and the whitespace
/// the parser trims (which the serializer must protect).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 &<>\"'é€\u{1F600}\t\n\r.:/+#*-]{0,12}"
}

fn non_empty_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9&<>\"'é /:.-]{1,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::Get), Just(Method::Post)]
}

fn events() -> impl Strategy<Value = StatusCallbackEvents> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(initiated, ringing, answered, completed)| StatusCallbackEvents {
            initiated,
            ringing,
            answered,
            completed,
        },
    )
}

/// Unknown attributes: valid names no verb defines, no duplicates.
fn extra() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("x-[a-z]{1,4}", text(), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = ("[a-z]{1,6}", extra(), text()).prop_map(|(name, attributes, text)| Element {
        name,
        attributes,
        text,
        children: Vec::new(),
    });
    leaf.prop_recursive(3, 8, 3, |inner| {
        (
            "[a-z]{1,6}",
            extra(),
            text(),
            proptest::collection::vec(inner, 0..3),
        )
            .prop_map(|(name, attributes, text, children)| Element {
                name,
                attributes,
                text,
                children,
            })
    })
}

fn say() -> impl Strategy<Value = Say> {
    (text(), opt_text(), opt_text(), 0u32..=1000, extra()).prop_map(
        |(text, voice, language, loop_count, extra)| Say {
            text,
            voice,
            language,
            loop_count,
            extra,
        },
    )
}

fn play() -> impl Strategy<Value = Play> {
    (
        proptest::option::of(non_empty_text()),
        proptest::option::of("[0-9w#*]{0,6}"),
        0u32..=1000,
        extra(),
    )
        .prop_map(|(url, digits, loop_count, extra)| Play {
            url,
            digits,
            loop_count,
            extra,
        })
}

fn pause() -> impl Strategy<Value = Pause> {
    (0u32..=600, extra()).prop_map(|(length, extra)| Pause { length, extra })
}

fn gather() -> impl Strategy<Value = Gather> {
    let child = prop_oneof![
        say().prop_map(GatherChild::Say),
        play().prop_map(GatherChild::Play),
        pause().prop_map(GatherChild::Pause),
    ];
    (
        (
            opt_text(),
            method(),
            1u32..=600,
            "[0-9#*]?",
            proptest::option::of(1u32..=20),
        ),
        (
            any::<bool>(),
            1u8..=3,
            opt_text(),
            proptest::option::of(0u32..=600),
        ),
        proptest::collection::vec(child, 0..4),
        extra(),
    )
        .prop_map(
            |(
                (action, method, timeout, finish_on_key, num_digits),
                (action_on_empty_result, input, hints, speech),
                children,
                extra,
            )| Gather {
                action,
                method,
                timeout,
                finish_on_key,
                num_digits,
                action_on_empty_result,
                input: GatherInput {
                    dtmf: input & 1 != 0,
                    speech: input & 2 != 0,
                },
                hints,
                speech_timeout: speech.map(SpeechTimeout::Seconds),
                children,
                extra,
                ..Gather::default()
            },
        )
}

fn e164() -> impl Strategy<Value = E164> {
    "\\+[1-9][0-9]{4,13}".prop_map(|s| E164::parse(&s).expect("generated E.164"))
}

fn noun() -> impl Strategy<Value = DialNoun> {
    prop_oneof![
        (text(), opt_text(), method(), opt_text(), events(), extra()).prop_map(
            |(number, url, method, status_callback, status_callback_events, extra)| {
                DialNoun::Number(NumberNoun {
                    number,
                    url,
                    method,
                    status_callback,
                    status_callback_events,
                    extra,
                    ..NumberNoun::default()
                })
            }
        ),
        (
            text(),
            proptest::collection::vec((text(), text()), 0..3),
            opt_text(),
            events()
        )
            .prop_map(|(identity, parameters, url, status_callback_events)| {
                DialNoun::Client(ClientNoun {
                    identity,
                    parameters,
                    url,
                    status_callback_events,
                    ..ClientNoun::default()
                })
            }),
        (
            e164(),
            opt_text(),
            method(),
            opt_text(),
            method(),
            events(),
            extra()
        )
            .prop_map(
                |(number, url, method, status_callback, scm, events, extra)| {
                    DialNoun::WhatsApp(WhatsAppNoun {
                        url,
                        method,
                        status_callback,
                        status_callback_method: scm,
                        status_callback_events: events,
                        extra,
                        ..WhatsAppNoun::new(number)
                    })
                }
            ),
        (text(), any::<bool>(), 0u8..4, opt_text(), 2u32..=250).prop_map(
            |(name, muted, beep, wait_url, max_participants)| {
                DialNoun::Conference(ConferenceNoun {
                    name,
                    muted,
                    beep: [
                        ConferenceBeep::True,
                        ConferenceBeep::False,
                        ConferenceBeep::OnEnter,
                        ConferenceBeep::OnExit,
                    ][usize::from(beep)],
                    wait_url,
                    max_participants,
                    ..ConferenceNoun::default()
                })
            }
        ),
        (text(), opt_text(), method()).prop_map(|(name, url, method)| DialNoun::Queue(QueueNoun {
            name,
            url,
            method,
            ..QueueNoun::default()
        })),
    ]
}

fn dial() -> impl Strategy<Value = Dial> {
    (
        (opt_text(), method(), 5u32..=600, 1u32..=86_400, opt_text()),
        (any::<bool>(), any::<bool>(), any::<bool>(), 0u8..5),
        proptest::option::of(prop_oneof![Just("us"), Just("uk"), Just("us-old")]),
        proptest::collection::vec(noun(), 0..4),
        extra(),
    )
        .prop_map(
            |(
                (action, method, timeout, time_limit, caller_id),
                (answer_on_bridge, hangup_on_star, sequential, record),
                ring_tone,
                nouns,
                extra,
            )| Dial {
                action,
                method,
                timeout,
                time_limit,
                caller_id,
                answer_on_bridge,
                hangup_on_star,
                sequential,
                record: [
                    DialRecord::DoNotRecord,
                    DialRecord::RecordFromAnswer,
                    DialRecord::RecordFromRinging,
                    DialRecord::RecordFromAnswerDual,
                    DialRecord::RecordFromRingingDual,
                ][usize::from(record)],
                ring_tone: ring_tone.map(str::to_owned),
                nouns,
                extra,
                ..Dial::default()
            },
        )
}

fn verb() -> impl Strategy<Value = Verb> {
    prop_oneof![
        say().prop_map(Verb::Say),
        play().prop_map(Verb::Play),
        pause().prop_map(Verb::Pause),
        gather().prop_map(Verb::Gather),
        extra().prop_map(|extra| Verb::Hangup(Hangup { extra })),
        (text(), method()).prop_map(|(url, method)| Verb::Redirect(Redirect {
            url,
            method,
            extra: Vec::new()
        })),
        any::<bool>().prop_map(|busy| Verb::Reject(Reject {
            reason: if busy {
                RejectReason::Busy
            } else {
                RejectReason::Rejected
            },
            extra: Vec::new()
        })),
        (opt_text(), 0u32..=3600, any::<bool>(), any::<bool>()).prop_map(
            |(action, timeout, play_beep, trim)| Verb::Record(Record {
                action,
                timeout,
                play_beep,
                trim: if trim {
                    Trim::DoNotTrim
                } else {
                    Trim::TrimSilence
                },
                ..Record::default()
            })
        ),
        dial().prop_map(Verb::Dial),
        element().prop_map(Verb::Unknown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serialize_then_parse_is_the_identity(verbs in proptest::collection::vec(verb(), 0..6)) {
        let document = Document { verbs };
        let xml = document.to_xml();
        let parsed = parse(xml.as_bytes(), Context::Call);
        prop_assert_eq!(parsed.document.as_ref(), Some(&document), "through {}", xml);
    }
}
