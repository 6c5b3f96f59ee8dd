//! Text to syntax tree: the pest grammar in `grammar/hybrid.pest`, one
//! `parse_<rule>` function per rule, and readable "expected …" errors.

#![allow(clippy::result_large_err)] // a parse fails once per file: no need to box

use super::ast::*;
use super::error::Problem;
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

mod errors;
use errors::{check_depth, syntax_error};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/hybrid.pest"]
struct HkParser;

/// Parses a whole `.hk` file.
pub fn parse_file(src: &str, file: FileId) -> Result<File, Problem> {
    let top = run(Rule::file, src, file)?;
    let comments = collect_comments(top.clone(), file);
    let mut p = P { file, problem: None };
    let items = inner(top)
        .filter(|x| x.as_rule() != Rule::EOI)
        .map(|x| p.parse_item(x))
        .collect();
    p.finish(File { items, comments })
}

/// Parses a var file: `name = value` lines.
pub fn parse_var_file(src: &str, file: FileId) -> Result<Vec<Attr>, Problem> {
    let top = run(Rule::var_file, src, file)?;
    let mut p = P { file, problem: None };
    let attrs = inner(top)
        .filter(|x| x.as_rule() == Rule::attr)
        .map(|x| p.parse_attr(x))
        .collect();
    p.finish(attrs)
}

/// Parses one value (the right side of `--var name=value`).
pub fn parse_value(src: &str, file: FileId) -> Result<Expr, Problem> {
    let top = run(Rule::var_value, src, file)?;
    let mut p = P { file, problem: None };
    let e = inner(top).find(|x| x.as_rule() != Rule::EOI).map(|x| p.parse_expr(x));
    p.finish(e.expect("var_value holds an expression"))
}

fn run(rule: Rule, src: &str, file: FileId) -> Result<Pair<'_, Rule>, Problem> {
    check_depth(src, file)?;
    // Error detail (which rules were attempted) costs about half the parse
    // time: parse fast first, and only re-parse with detail to explain a failure.
    pest::set_error_detail(false);
    match HkParser::parse(rule, src) {
        Ok(mut pairs) => Ok(pairs.next().expect("the top rule matched")),
        Err(_) => {
            pest::set_error_detail(true);
            let e = HkParser::parse(rule, src).expect_err("the same input fails again");
            pest::set_error_detail(false);
            Err(syntax_error(e, src, file))
        }
    }
}

/// Children without comments.
fn inner(p: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    p.into_inner().filter(|x| {
        !matches!(
            x.as_rule(),
            Rule::COMMENT | Rule::kw_param | Rule::kw_module | Rule::kw_as | Rule::kw_data | Rule::kw_flow
        )
    })
}

fn collect_comments(top: Pair<'_, Rule>, file: FileId) -> Vec<Comment> {
    Pairs::single(top)
        .flatten()
        .filter(|p| p.as_rule() == Rule::COMMENT)
        .map(|p| Comment {
            text: p.as_str().trim_end().to_string(),
            span: Span::new(file, p.as_span().start(), p.as_span().end()),
        })
        .collect()
}

/// The parser state: the file and the first semantic problem (bad octet, …).
struct P {
    file: FileId,
    problem: Option<Problem>,
}

impl P {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        Span::new(self.file, p.as_span().start(), p.as_span().end())
    }

    fn fail(&mut self, problem: Problem) {
        self.problem.get_or_insert(problem);
    }

    fn finish<T>(self, t: T) -> Result<T, Problem> {
        match self.problem {
            Some(p) => Err(p),
            None => Ok(t),
        }
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn parse_item(&mut self, p: Pair<'_, Rule>) -> Item {
        match p.as_rule() {
            Rule::param => Item::Param(self.parse_param(p)),
            Rule::module => Item::Module(self.parse_module(p)),
            Rule::block => Item::Block(self.parse_block(p)),
            Rule::data => Item::Data(self.parse_block(p)),
            Rule::flow => Item::Flow(self.parse_flow(p)),
            Rule::state_block => {
                let span = self.span(&p);
                let mut it = inner(p);
                let keyword = self.span(&it.next().expect("state: keyword"));
                let attrs = self.parse_body(it.next().expect("state: body"));
                Item::State(StateBlock { keyword, attrs, span })
            }
            r => unreachable!("item: unexpected rule {r:?}"),
        }
    }

    fn parse_param(&mut self, p: Pair<'_, Rule>) -> Param {
        // A param ends with its type or default: pest's implicit skip before
        // the optional `= default` also swallows the whitespace and comments
        // that follow a param without one, which are not part of it.
        let mut span = self.span(&p);
        if let Some(last) = inner(p.clone()).last() {
            span.end = last.as_span().end();
        }
        let mut it = inner(p);
        let name = self.ident(it.next().expect("param: name"));
        let ty = self.parse_type(it.next().expect("param: type"));
        let default = it.next().map(|e| self.parse_expr(e));
        Param {
            name,
            ty,
            default,
            span,
        }
    }

    fn parse_type(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let p = if p.as_rule() == Rule::type_expr {
            inner(p).next().expect("type_expr: one alternative")
        } else {
            p
        };
        let kind = match p.as_rule() {
            Rule::list_type => TypeKind::List(Box::new(self.parse_type(inner(p).next().expect("list(T)")))),
            Rule::map_type => TypeKind::Map(Box::new(self.parse_type(inner(p).next().expect("map(T)")))),
            Rule::prim_type => match p.as_str() {
                "string" => TypeKind::String,
                "number" => TypeKind::Number,
                "bool" => TypeKind::Bool,
                "cidr" => TypeKind::Cidr,
                _ => TypeKind::Ip,
            },
            r => unreachable!("type_expr: unexpected rule {r:?}"),
        };
        TypeExpr { kind, span }
    }

    fn parse_module(&mut self, p: Pair<'_, Rule>) -> ModuleUse {
        let span = self.span(&p);
        let mut it = inner(p);
        let path_pair = it.next().expect("module: path");
        let path_span = self.span(&path_pair);
        let path_expr = self.parse_string(path_pair);
        let path = path_expr.kind.as_plain_str().unwrap_or_else(|| {
            self.fail(
                Problem::error("dsl::syntax", "a module path cannot contain `${…}`")
                    .at(path_span, "interpolation here")
                    .help("write the path as a plain string, e.g. \"./env.hk\""),
            );
            String::new()
        });
        let name = self.ident(it.next().expect("module: name"));
        let args = self.parse_body(it.next().expect("module: body"));
        ModuleUse {
            path,
            path_span,
            name,
            args,
            span,
        }
    }

    /// A `block`, or a `data` block (the same shape after its keyword).
    fn parse_block(&mut self, p: Pair<'_, Rule>) -> Block {
        let span = self.span(&p);
        let mut it = inner(p);
        let kind = self.ident(it.next().expect("block: kind"));
        let label = self.ident(it.next().expect("block: label"));
        let attrs = self.parse_body(it.next().expect("block: body"));
        Block {
            kind,
            label,
            attrs,
            span,
        }
    }

    fn parse_flow(&mut self, p: Pair<'_, Rule>) -> FlowBlock {
        let span = self.span(&p);
        let mut it = inner(p);
        let name_pair = it.next().expect("flow: name");
        let name_span = self.span(&name_pair);
        let name = self.parse_string(name_pair).kind.as_plain_str().unwrap_or_else(|| {
            self.fail(
                Problem::error("dsl::syntax", "a flow name cannot contain `${…}`")
                    .at(name_span, "interpolation here")
                    .help("write the name as a plain string, e.g. \"pods-to-db\""),
            );
            String::new()
        });
        let attrs = self.parse_body(it.next().expect("flow: body"));
        FlowBlock {
            name,
            name_span,
            attrs,
            span,
        }
    }

    fn parse_body(&mut self, p: Pair<'_, Rule>) -> Vec<Attr> {
        inner(p).map(|a| self.parse_attr(a)).collect()
    }

    fn parse_attr(&mut self, p: Pair<'_, Rule>) -> Attr {
        let span = self.span(&p);
        let mut it = inner(p);
        let k = it.next().expect("attr: key");
        let key = match k.as_rule() {
            Rule::ident => Key {
                name: k.as_str().to_string(),
                quoted: false,
                span: self.span(&k),
            },
            _ => {
                let kspan = self.span(&k);
                let s = self.parse_string(k);
                let name = s.kind.as_plain_str().unwrap_or_else(|| {
                    self.fail(
                        Problem::error("dsl::syntax", "a key cannot contain `${…}`").at(kspan, "interpolation here"),
                    );
                    String::new()
                });
                Key {
                    name,
                    quoted: true,
                    span: kspan,
                }
            }
        };
        let value = self.parse_expr(it.next().expect("attr: value"));
        Attr { key, value, span }
    }

    fn parse_expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::number => match p.as_str().parse::<i64>() {
                Ok(n) => ExprKind::Number(n),
                Err(_) => {
                    self.fail(
                        Problem::error("dsl::syntax", format!("`{}` is too large for a number", p.as_str()))
                            .at(span, "out of range")
                            .help("numbers are whole numbers between -2^63 and 2^63-1"),
                    );
                    ExprKind::Number(0)
                }
            },
            Rule::cidr => {
                let (ip, prefix) = p.as_str().split_once('/').expect("cidr has a slash");
                self.check_ip(ip, span);
                if prefix.parse::<u8>().map_or(true, |n| n > 32) {
                    self.fail(
                        Problem::error("dsl::syntax", format!("`/{prefix}` is not a prefix length"))
                            .at(span, "prefix length above 32")
                            .help("an IPv4 prefix length is 0 to 32"),
                    );
                }
                ExprKind::Cidr(p.as_str().to_string())
            }
            Rule::ip => {
                self.check_ip(p.as_str(), span);
                ExprKind::Ip(p.as_str().to_string())
            }
            Rule::string => return self.parse_string(p),
            Rule::list => ExprKind::List(inner(p).map(|e| self.parse_expr(e)).collect()),
            Rule::object => ExprKind::Object(inner(p).map(|e| self.parse_attr(e)).collect()),
            Rule::reference => ExprKind::Ref(inner(p).map(|i| self.ident(i)).collect()),
            r => unreachable!("expr: unexpected rule {r:?}"),
        };
        Expr { kind, span }
    }

    fn check_ip(&mut self, ip: &str, span: Span) {
        if ip.parse::<std::net::Ipv4Addr>().is_err() {
            self.fail(
                Problem::error("dsl::syntax", format!("`{ip}` is not an IPv4 address"))
                    .at(span, "octets are 0 to 255")
                    .help("write four decimal octets 0-255 without leading zeros"),
            );
        }
    }

    fn parse_string(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut parts: Vec<StrPart> = Vec::new();
        let push_lit = |parts: &mut Vec<StrPart>, s: &str| match parts.last_mut() {
            Some(StrPart::Lit(l)) => l.push_str(s),
            _ => parts.push(StrPart::Lit(s.to_string())),
        };
        for x in inner(p) {
            match x.as_rule() {
                Rule::str_text => push_lit(&mut parts, x.as_str()),
                Rule::escape => {
                    let s = x.as_str();
                    let c = match &s[1..] {
                        "n" => '\n'.to_string(),
                        "t" => '\t'.to_string(),
                        "r" => '\r'.to_string(),
                        u if u.starts_with("u{") => {
                            let code = u32::from_str_radix(&u[2..u.len() - 1], 16)
                                .ok()
                                .and_then(char::from_u32);
                            code.map(String::from).unwrap_or_else(|| {
                                let sp = self.span(&x);
                                self.fail(
                                    Problem::error("dsl::syntax", format!("`{s}` is not a Unicode character"))
                                        .at(sp, "bad escape"),
                                );
                                String::new()
                            })
                        }
                        other => other.to_string(),
                    };
                    push_lit(&mut parts, &c);
                }
                Rule::interp => {
                    let e = inner(x).next().expect("interp: expression");
                    parts.push(StrPart::Interp(self.parse_expr(e)));
                }
                r => unreachable!("string: unexpected rule {r:?}"),
            }
        }
        Expr {
            kind: ExprKind::Str(parts),
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_one_line_block() {
        let f = parse_file(
            "peering aks_hub { cluster = aks  hub = hub  use_remote_gateways = true }",
            FileId(0),
        )
        .unwrap();
        let Item::Block(b) = &f.items[0] else { panic!() };
        assert_eq!(b.attrs.len(), 3);
        assert_eq!(b.attrs[1].key.name, "hub");
    }

    #[test]
    fn typed_literals() {
        let e = parse_value("[10.0.0.0/12, 10.1.0.4, 42, \"a${b}\\n\"]", FileId(0)).unwrap();
        let ExprKind::List(items) = e.kind else { panic!() };
        assert!(matches!(items[0].kind, ExprKind::Cidr(_)));
        assert!(matches!(items[1].kind, ExprKind::Ip(_)));
        assert!(matches!(items[2].kind, ExprKind::Number(42)));
        assert!(matches!(&items[3].kind, ExprKind::Str(p) if p.len() == 3));
    }

    #[test]
    fn bad_octet_is_an_error() {
        let e = parse_value("300.0.0.0/8", FileId(0)).unwrap_err();
        assert!(e.message.contains("not an IPv4 address"), "{}", e.message);
    }
}
