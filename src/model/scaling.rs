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
    pub fn cpu(min_tasks: u32, max_tasks: u32) -> StepScaling {
        StepScaling {
            min_tasks,
            max_tasks,
            high_cpu_percent: 70.0,
            low_cpu_percent: 30.0,
            scale_out: vec![Step::new(Some(0.0), None, 1)],
            scale_in: vec![Step::new(None, Some(0.0), -1)],
            cooldown_seconds: 60,
            evaluation_periods: 2,
            period_seconds: 60,
        }
    }

    pub fn thresholds(mut self, low_cpu_percent: f64, high_cpu_percent: f64) -> StepScaling {
        self.low_cpu_percent = low_cpu_percent;
        self.high_cpu_percent = high_cpu_percent;
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
    pub fn new(lower: Option<f64>, upper: Option<f64>, adjustment: i32) -> Step {
        Step {
            lower,
            upper,
            adjustment,
        }
    }
}
