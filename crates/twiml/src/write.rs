//! The serializer: the model back to TwiML text that parses to the same model.

use std::fmt::Write as _;

use crate::{Element, Method, StatusCallbackEvents};

/// Accumulates TwiML text.
#[derive(Debug, Default)]
pub(crate) struct XmlWriter {
    pub out: String,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn char_ref(out: &mut String, c: char) {
    let _ = write!(out, "&#{};", u32::from(c));
}

impl XmlWriter {
    /// `<name` — follow with attributes, then [`Self::end_empty`] or [`Self::end_start`].
    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
    }

    /// ` name="value"`, escaped so that attribute-value normalization gives `value` back.
    pub fn attr(&mut self, name: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        for c in value.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' => self.out.push_str("&quot;"),
                '\t' | '\n' | '\r' => char_ref(&mut self.out, c),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// The attribute when set.
    pub fn attr_opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.attr(name, v);
        }
    }

    /// A method attribute, omitted when it is the default POST.
    pub fn method(&mut self, name: &str, value: Method) {
        if value != Method::Post {
            self.attr(name, value.as_str());
        }
    }

    /// A boolean attribute, omitted when it equals the default.
    pub fn boolean(&mut self, name: &str, value: bool, default: bool) {
        if value != default {
            self.attr(name, if value { "true" } else { "false" });
        }
    }

    /// An integer attribute, omitted when it equals the default.
    pub fn uint(&mut self, name: &str, value: u32, default: u32) {
        if value != default {
            self.attr(name, &value.to_string());
        }
    }

    /// Unknown attributes, as kept.
    pub fn extra(&mut self, extra: &[(String, String)]) {
        for (name, value) in extra {
            self.attr(name, value);
        }
    }

    /// The attributes of a noun that calls a party.
    pub fn party(
        &mut self,
        url: Option<&str>,
        method: Method,
        status_callback: Option<&str>,
        status_callback_method: Method,
        events: StatusCallbackEvents,
        default_events: StatusCallbackEvents,
    ) {
        self.attr_opt("url", url);
        self.method("method", method);
        self.attr_opt("statusCallback", status_callback);
        self.method("statusCallbackMethod", status_callback_method);
        if events != default_events {
            self.attr("statusCallbackEvent", &events.to_attribute());
        }
    }

    /// `/>`
    pub fn end_empty(&mut self) {
        self.out.push_str("/>");
    }

    /// `>`
    pub fn end_start(&mut self) {
        self.out.push('>');
    }

    /// `</name>`
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Character data; whitespace at either end is written as references so that the parser's
    /// trimming keeps it, and `\r` always is (line-end normalization would eat it).
    pub fn text(&mut self, text: &str) {
        let core = text.trim_matches(is_space);
        let lead = text.len() - text.trim_start_matches(is_space).len();
        let (head, rest) = text.split_at(lead);
        let (middle, tail) = rest.split_at(core.len());
        for c in head.chars() {
            char_ref(&mut self.out, c);
        }
        for c in middle.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '\r' => char_ref(&mut self.out, c),
                c => self.out.push(c),
            }
        }
        for c in tail.chars() {
            char_ref(&mut self.out, c);
        }
    }

    /// Ends a start tag that has only text content: `/>` when empty, else `>text</name>`.
    pub fn text_content(&mut self, name: &str, text: &str) {
        if text.is_empty() {
            self.end_empty();
        } else {
            self.end_start();
            self.text(text);
            self.close(name);
        }
    }

    /// `<Parameter name value/>` children.
    pub fn parameters(&mut self, parameters: &[(String, String)]) {
        for (name, value) in parameters {
            self.open("Parameter");
            self.attr("name", name);
            self.attr("value", value);
            self.end_empty();
        }
    }

    /// A generic element and its subtree, without recursion.
    pub fn element(&mut self, root: &Element) {
        let mut stack: Vec<(&Element, usize)> = vec![(root, 0)];
        self.element_start(root);
        while let Some((elem, next)) = stack.pop() {
            if let Some(child) = elem.children.get(next) {
                stack.push((elem, next + 1));
                self.element_start(child);
                stack.push((child, 0));
            } else if !elem.children.is_empty() || !elem.text.is_empty() {
                self.close(&elem.name);
            }
        }
    }

    fn element_start(&mut self, e: &Element) {
        self.open(&e.name);
        for (name, value) in &e.attributes {
            self.attr(name, value);
        }
        if e.children.is_empty() && e.text.is_empty() {
            self.end_empty();
        } else {
            self.end_start();
            self.text(&e.text);
        }
    }
}
