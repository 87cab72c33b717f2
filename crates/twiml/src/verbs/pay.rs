//! `<Pay>` and its `<Prompt>` noun: PCI-compliant payment capture (not executed by the engine).

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
