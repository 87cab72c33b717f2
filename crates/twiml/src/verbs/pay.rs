//! `<Pay>` and its `<Prompt>` noun: PCI-compliant payment capture (not executed by the engine).

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::verbs::gather::{prompt_child, write_prompt_children};
use crate::write::XmlWriter;

use crate::{GatherChild, Method};

/// `<Prompt for cardType attempt requireMatchingInputs errorType>` with Say/Play/Pause children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prompt {
    /// `for`: which payment step the prompt replaces.
    pub for_: Option<String>,
    /// `cardType`, space separated.
    pub card_type: Option<String>,
    /// `attempt`, space separated numbers.
    pub attempt: Option<String>,
    /// `requireMatchingInputs`. Default false.
    pub require_matching_inputs: bool,
    /// `errorType`, space separated.
    pub error_type: Option<String>,
    /// Nested `<Say>`, `<Play>`, `<Pause>`.
    pub children: Vec<GatherChild>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

/// `<Pay>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pay {
    /// `action`.
    pub action: Option<String>,
    /// `input`. Default `dtmf`.
    pub input: String,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `timeout` seconds. Default 5.
    pub timeout: u32,
    /// `maxAttempts`. Default 1.
    pub max_attempts: u32,
    /// `securityCode`. Default true.
    pub security_code: bool,
    /// `postalCode`: `true`, `false` or a fixed postal code. Default `true`.
    pub postal_code: String,
    /// `minPostalCodeLength`.
    pub min_postal_code_length: Option<u32>,
    /// `paymentConnector`. Default `Default`.
    pub payment_connector: Option<String>,
    /// `paymentMethod`: `credit-card` or `ach-debit`.
    pub payment_method: Option<String>,
    /// `tokenType`: `one-time`, `reusable`, `payment-method`.
    pub token_type: Option<String>,
    /// `chargeAmount`, as written (a decimal).
    pub charge_amount: Option<String>,
    /// `currency`. Default `usd`.
    pub currency: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `validCardTypes`, space separated.
    pub valid_card_types: Option<String>,
    /// `language`.
    pub language: Option<String>,
    /// `bankAccountType`.
    pub bank_account_type: Option<String>,
    /// Nested `<Prompt>`s.
    pub prompts: Vec<Prompt>,
    /// Nested `<Parameter name value/>`s.
    pub parameters: Vec<(String, String)>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Pay {
    fn default() -> Self {
        Self {
            action: None,
            input: "dtmf".to_owned(),
            status_callback: None,
            status_callback_method: Method::Post,
            timeout: 5,
            max_attempts: 1,
            security_code: true,
            postal_code: "true".to_owned(),
            min_postal_code_length: None,
            payment_connector: None,
            payment_method: None,
            token_type: None,
            charge_amount: None,
            currency: None,
            description: None,
            valid_card_types: None,
            language: None,
            bank_account_type: None,
            prompts: Vec::new(),
            parameters: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl Prompt {
    fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Prompt";
        let tree = cx.tree;
        let mut p = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "for" => p.for_ = Some(a.value.to_string()),
                "cardType" => p.card_type = Some(a.value.to_string()),
                "attempt" => p.attempt = Some(a.value.to_string()),
                "requireMatchingInputs" => {
                    p.require_matching_inputs = cx.boolean(N, a, TwilioCode::SCHEMA_WARNING, false);
                }
                "errorType" => p.error_type = Some(a.value.to_string()),
                _ => cx.unknown_attr(N, a, &mut p.extra),
            }
        }
        cx.no_text(N, id);
        for child in tree.children(id) {
            if let Some(c) = prompt_child(cx, N, child) {
                p.children.push(c);
            }
        }
        p
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("Prompt");
        w.attr_opt("for", self.for_.as_deref());
        w.attr_opt("cardType", self.card_type.as_deref());
        w.attr_opt("attempt", self.attempt.as_deref());
        w.boolean("requireMatchingInputs", self.require_matching_inputs, false);
        w.attr_opt("errorType", self.error_type.as_deref());
        w.extra(&self.extra);
        if self.children.is_empty() {
            w.end_empty();
        } else {
            w.end_start();
            write_prompt_children(w, &self.children);
            w.close("Prompt");
        }
    }
}

impl Pay {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Pay";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut p = Self::default();
        for a in tree.attrs(id) {
            let text = || Some(a.value.to_string());
            match a.name {
                "action" => p.action = text(),
                "input" => p.input = a.value.to_string(),
                "statusCallback" => p.status_callback = text(),
                "statusCallbackMethod" => {
                    p.status_callback_method = cx.method(N, a, W, Method::Post);
                }
                "timeout" => p.timeout = cx.uint(N, a, W, (1, 600), 5),
                "maxAttempts" => p.max_attempts = cx.uint(N, a, W, (1, 3), 1),
                "securityCode" => p.security_code = cx.boolean(N, a, W, true),
                "postalCode" => p.postal_code = a.value.to_string(),
                "minPostalCodeLength" => {
                    p.min_postal_code_length = cx.opt_uint(N, a, W, (0, 20));
                }
                "paymentConnector" => p.payment_connector = text(),
                "paymentMethod" => p.payment_method = text(),
                "tokenType" => p.token_type = text(),
                "chargeAmount" => p.charge_amount = text(),
                "currency" => p.currency = text(),
                "description" => p.description = text(),
                "validCardTypes" => p.valid_card_types = text(),
                "language" => p.language = text(),
                "bankAccountType" => p.bank_account_type = text(),
                _ => cx.unknown_attr(N, a, &mut p.extra),
            }
        }
        cx.no_text(N, id);
        for child in tree.children(id) {
            match tree.node(child).name {
                "Prompt" => {
                    let prompt = Prompt::parse(cx, child);
                    p.prompts.push(prompt);
                }
                "Parameter" => {
                    let param = cx.parameter(child);
                    p.parameters.push(param);
                }
                _ => cx.unexpected_child(W, N, child),
            }
        }
        p
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Pay");
        w.attr_opt("action", self.action.as_deref());
        if self.input != "dtmf" {
            w.attr("input", &self.input);
        }
        w.attr_opt("statusCallback", self.status_callback.as_deref());
        w.method("statusCallbackMethod", self.status_callback_method);
        w.uint("timeout", self.timeout, 5);
        w.uint("maxAttempts", self.max_attempts, 1);
        w.boolean("securityCode", self.security_code, true);
        if self.postal_code != "true" {
            w.attr("postalCode", &self.postal_code);
        }
        if let Some(n) = self.min_postal_code_length {
            w.attr("minPostalCodeLength", &n.to_string());
        }
        for (name, value) in [
            ("paymentConnector", &self.payment_connector),
            ("paymentMethod", &self.payment_method),
            ("tokenType", &self.token_type),
            ("chargeAmount", &self.charge_amount),
            ("currency", &self.currency),
            ("description", &self.description),
            ("validCardTypes", &self.valid_card_types),
            ("language", &self.language),
            ("bankAccountType", &self.bank_account_type),
        ] {
            w.attr_opt(name, value.as_deref());
        }
        w.extra(&self.extra);
        if self.prompts.is_empty() && self.parameters.is_empty() {
            w.end_empty();
            return;
        }
        w.end_start();
        for prompt in &self.prompts {
            prompt.write(w);
        }
        w.parameters(&self.parameters);
        w.close("Pay");
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{GatherChild, Pay, Verb};

    #[test]
    fn defaults_and_prompts() {
        assert_eq!(
            only_verb("<Response><Pay/></Response>"),
            Verb::Pay(Pay::default())
        );
        let Verb::Pay(p) = only_verb(
            r#"<Response><Pay chargeAmount="10.00" maxAttempts="2"><Prompt for="payment-card-number" attempt="1"><Say>Card number</Say></Prompt><Parameter name="k" value="v"/></Pay></Response>"#,
        ) else {
            panic!("not a Pay")
        };
        assert_eq!(
            (p.charge_amount.as_deref(), p.max_attempts),
            (Some("10.00"), 2)
        );
        assert_eq!(p.prompts[0].for_.as_deref(), Some("payment-card-number"));
        assert!(matches!(p.prompts[0].children[0], GatherChild::Say(_)));
        assert_eq!(p.parameters, [("k".to_owned(), "v".to_owned())]);
        assert_eq!(
            codes(r#"<Response><Pay maxAttempts="9"/></Response>"#),
            [(12200, 1, 16)]
        );
    }
}
