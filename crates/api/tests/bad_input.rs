//! Hostile input on every route: no response is a 500, and every error is Twilio's body.

mod common;

use axum::http::{Method, StatusCode};
use common::{Rig, path};

const NASTY: &[&str] = &[
    "",
    "%",
    "%%%%",
    "=&=&=",
    "To=%FF%FE%FD&From=%C0%80",
    "To=client%3A%00&From=%2B1&Url=http%3A%2F%2F%5B%3A%3A1",
    "To=%2B999999999999999999999&From=%2B1&Url=https%3A%2F%2Fa.test&Timeout=99999999999999999999",
    "To=client%3Aa&From=client%3Ab&Twiml=%3C%3Fxml%20version%3D%221.0%22%3F%3E%3C!DOCTYPE%20x%20%5B%3C!ENTITY%20a%20%22aaaa%22%3E%5D%3E%3CResponse%3E%26a%3B%3C%2FResponse%3E",
    "To=client%3Aa&From=client%3Ab&ApplicationSid=AP%25%25&Status=%00",
    "PageSize=99999999999999999999999&Page=-0&PageToken=PA",
    "Identity=%E2%80%AE&Behavior=%00&AnswerAfter=1e309&HangupAfter=-0&Digits=%F0%9F%98%80",
    "FriendlyName=%F0%9F%98%80&VoiceUrl=javascript%3Aalert(1)&VoiceMethod=%00",
    "StatusCallbackEvent=&StatusCallbackEvent=%20&To=client%3Aa&From=client%3Ab&Url=https%3A%2F%2Fa.test",
    "{\"To\":\"client:a\"}",
];

#[tokio::test]
async fn no_input_is_a_server_error() {
    let rig = Rig::new().await;
    let (_, app) = rig
        .post(&path("/Applications.json"), "FriendlyName=x")
        .await;
    let app = app["sid"].as_str().unwrap().to_owned();
    let (_, call) = rig
        .post(
            &path("/Calls.json"),
            "To=client%3Aa&From=client%3Ab&Url=https%3A%2F%2Fa.test",
        )
        .await;
    let call = call["sid"].as_str().unwrap().to_owned();
    let routes = [
        (Method::POST, path("/Calls.json")),
        (Method::GET, path("/Calls.json")),
        (Method::POST, path(&format!("/Calls/{call}.json"))),
        (Method::GET, path(&format!("/Calls/{call}/Events.json"))),
        (Method::POST, path("/Applications.json")),
        (Method::POST, path(&format!("/Applications/{app}.json"))),
        (Method::POST, path("/Keys.json")),
        (Method::POST, "/sim/v1/Clients".to_owned()),
        (Method::POST, "/sim/v1/Clients/a/Calls".to_owned()),
    ];
    for (method, route) in &routes {
        for body in NASTY {
            // As a body, and as a query string.
            let uri = format!("{route}?{body}");
            for (uri, body) in [(route.as_str(), *body), (uri.as_str(), "")] {
                let Ok(_) = axum::http::Uri::try_from(uri) else {
                    continue;
                };
                let (status, json) = rig.send(method.clone(), uri, body).await;
                assert!(
                    !status.is_server_error(),
                    "{method} {uri} {body:?}: {status} {json}"
                );
                if !status.is_success() {
                    assert_eq!(json["status"], status.as_u16(), "{method} {uri} {body:?}");
                    assert!(json["code"].is_u64(), "{method} {uri} {body:?}: {json}");
                    assert!(json["message"].is_string());
                }
            }
        }
    }
    assert_eq!(
        rig.get(&path(&format!("/Calls/{call}.json"))).await.0,
        StatusCode::OK
    );
}
