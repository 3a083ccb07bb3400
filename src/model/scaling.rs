//! Step scaling on CPU, as named thresholds and steps.

use std::ops::RangeInclusive;

/// Step scaling on the service's average CPU: one alarm above `high_cpu_percent` adds tasks,
/// one below `low_cpu_percent` removes them.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    pub min_tasks: u32,
    pub max_tasks: u32,
    /// Default: 70.
    pub high_cpu_percent: f64,
    /// Default: 30.
    pub low_cpu_percent: f64,
    /// Steps above the high threshold, bounds relative to it. Default: `+1` from 0 upwards.
    pub scale_out: Vec<Step>,
    /// Steps below the low threshold, bounds relative to it. Default: `-1` from 0 downwards.
    pub scale_in: Vec<Step>,
    /// Seconds between scaling activities. Default: 60.
    pub cooldown_seconds: u32,
    /// Periods the alarm condition must hold. Default: 2.
    pub evaluation_periods: u32,
    /// Seconds per period, a multiple of 60. Default: 60.
    pub period_seconds: u32,
}

impl StepScaling {
    /// Between `tasks.start()` and `tasks.end()` tasks (`StepScaling::cpu(2..=6)`), out above
    /// 70 % and in below 30 % by one task.
    pub fn cpu(tasks: RangeInclusive<u32>) -> StepScaling {
        StepScaling {
            min_tasks: *tasks.start(),
            max_tasks: *tasks.end(),
            high_cpu_percent: 70.0,
            low_cpu_percent: 30.0,
            scale_out: vec![Step::adjustment(1).lower_bound(0.0)],
            scale_in: vec![Step::adjustment(-1).upper_bound(0.0)],
            cooldown_seconds: 60,
            evaluation_periods: 2,
            period_seconds: 60,
        }
    }

    /// Add tasks when average CPU is at or above `percent`.
    pub fn scale_out_above(mut self, percent: f64) -> StepScaling {
        self.high_cpu_percent = percent;
        self
    }

    /// Remove tasks when average CPU is at or below `percent`.
    pub fn scale_in_below(mut self, percent: f64) -> StepScaling {
        self.low_cpu_percent = percent;
        self
    }

    pub fn scale_out_steps(mut self, steps: Vec<Step>) -> StepScaling {
        self.scale_out = steps;
        self
    }

    pub fn scale_in_steps(mut self, steps: Vec<Step>) -> StepScaling {
        self.scale_in = steps;
        self
    }

    pub fn cooldown_seconds(mut self, seconds: u32) -> StepScaling {
        self.cooldown_seconds = seconds;
        self
    }

    /// The alarms fire after this many periods in a row. Default: 2.
    pub fn evaluation_periods(mut self, periods: u32) -> StepScaling {
        self.evaluation_periods = periods;
        self
    }

    /// Seconds per alarm period, a multiple of 60. Default: 60.
    pub fn period_seconds(mut self, seconds: u32) -> StepScaling {
        self.period_seconds = seconds;
        self
    }
}

/// One step: when the metric is between `lower` and `upper` (relative to the alarm threshold;
/// `None` is unbounded), change the task count by `adjustment`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i32,
}

impl Step {
    /// Changes the task count by `tasks` (negative to scale in) wherever the metric is,
    /// until [`Step::lower_bound`] or [`Step::upper_bound`] narrow it:
    /// `Step::adjustment(3).lower_bound(20.0)`.
    pub fn adjustment(tasks: i32) -> Step {
        Step {
            lower: None,
            upper: None,
            adjustment: tasks,
        }
    }

    /// The step applies from `bound` above the alarm threshold (inclusive).
    pub fn lower_bound(mut self, bound: f64) -> Step {
        self.lower = Some(bound);
        self
    }

    /// The step applies below `bound` above the alarm threshold (exclusive).
    pub fn upper_bound(mut self, bound: f64) -> Step {
        self.upper = Some(bound);
        self
    }
}
