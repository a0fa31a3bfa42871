//! One student's standing in a lab: their program's attempts, the stage each was scored on,
//! and every check's latest result.

use std::collections::BTreeMap;

use super::grade::{CheckResult, Graded};
use super::rubric::{Check, Rubric, Stage, StageFault};

/// One attempt of a student's program, scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Counts up from 1 per student.
    pub number: usize,
    /// The server's session number, as its log shows it.
    pub session: u64,
    /// Seconds since the Unix epoch when it ended.
    pub at: u64,
    pub graded: Graded,
}

/// A student's attempts so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    /// The account or address the student's program used.
    pub student: String,
    pub attempts: usize,
    /// Attempts whose program sent nothing at all: counted, not scored on a stage.
    pub silent: usize,
    /// The index of the stage their next attempt gets.
    next: usize,
    /// The latest attempt on each stage.
    latest: BTreeMap<String, Attempt>,
}

impl Scorecard {
    pub fn new(student: impl Into<String>) -> Self {
        Self {
            student: student.into(),
            attempts: 0,
            silent: 0,
            next: 0,
            latest: BTreeMap::new(),
        }
    }

    /// The stage the next attempt is scored on. A stage that changes the greeting is skipped
    /// when the greeting has already gone out unchanged (`greeted` true).
    pub fn next_stage<'a>(&self, rubric: &'a Rubric, greeted: bool) -> &'a Stage {
        let n = rubric.stages.len().max(1);
        let mut i = self.next % n;
        for _ in 0..n {
            let stage = &rubric.stages[i];
            if !(greeted && matches!(stage.fault, Some(StageFault::Greeting(_)))) {
                return stage;
            }
            i = (i + 1) % n;
        }
        &rubric.stages[0]
    }

    /// Whether the next attempt's stage changes the greeting.
    pub fn next_greeting(&self, rubric: &Rubric) -> Option<StageFault> {
        self.next_stage(rubric, false)
            .fault
            .filter(|f| matches!(f, StageFault::Greeting(_)))
    }

    /// Counts an attempt whose program sent nothing; its stage comes again next time.
    pub fn add_silent(&mut self) -> usize {
        self.attempts += 1;
        self.silent += 1;
        self.attempts
    }

    /// Adds an attempt scored on `graded.stage`; the stage after it comes next.
    pub fn add(&mut self, rubric: &Rubric, session: u64, at: u64, graded: Graded) -> &Attempt {
        self.attempts += 1;
        if let Some(i) = rubric.stages.iter().position(|s| s.id == graded.stage) {
            self.next = i + 1;
        }
        let stage = graded.stage.clone();
        let attempt = Attempt {
            number: self.attempts,
            session,
            at,
            graded,
        };
        self.latest.insert(stage.clone(), attempt);
        &self.latest[&stage]
    }

    /// Every check of the rubric with its latest result and the attempt it came from
    /// (`None`: its stage has not been tried yet).
    pub fn results<'a>(
        &'a self,
        rubric: &'a Rubric,
    ) -> Vec<(&'a Check, Option<(&'a CheckResult, &'a Attempt)>)> {
        rubric
            .checks
            .iter()
            .map(|c| {
                let found = c
                    .stage
                    .as_deref()
                    .and_then(|s| self.latest.get(s))
                    .and_then(|a| {
                        a.graded
                            .results
                            .iter()
                            .find(|r| r.id == c.id)
                            .map(|r| (r, a))
                    });
                (c, found)
            })
            .collect()
    }

    pub fn earned(&self, rubric: &Rubric) -> u32 {
        self.results(rubric)
            .iter()
            .filter_map(|(_, r)| r.map(|(r, _)| r.earned()))
            .sum()
    }

    /// The attempts kept: the latest on each stage, in the order they were made.
    pub fn attempts(&self) -> Vec<&Attempt> {
        let mut all: Vec<&Attempt> = self.latest.values().collect();
        all.sort_by_key(|a| a.number);
        all
    }

    /// The stages not tried yet.
    pub fn untried<'a>(&self, rubric: &'a Rubric) -> Vec<&'a Stage> {
        rubric
            .stages
            .iter()
            .filter(|s| !self.latest.contains_key(&s.id))
            .collect()
    }
}
