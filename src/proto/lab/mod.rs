//! Grading a student's own mail client from the server's side: the session as the practice
//! server saw it ([`record`]), read back into turns ([`turns`]), scored against a rubric
//! ([`rubric`], [`grade`]) and summed up per student over their attempts ([`score`]).

pub mod grade;
mod pop3;
pub mod record;
pub mod rubric;
pub mod score;
pub mod turns;

#[cfg(test)]
mod tests;

pub use grade::{CheckResult, Graded, Verdict, grade};
pub use record::{Ending, Protocol, Record};
pub use rubric::{CheckKind, Rubric, StageFault};
pub use score::Scorecard;
