//! Which of a group's jobs it follows: by default every running job on the group's
//! TaskManagers; or those whose name matches a regex; or these job ids.

use std::fmt;

use serde::{Deserialize, Deserializer};

#[derive(Clone)]
pub enum JobSelector {
    /// A regex on the job's name (`jobs = "^orders-"`, `--variant-jobs '^orders-'`).
    Names(regex::Regex),
    /// Flink job ids (`jobs = ["a1b2…", …]`, `--variant-jobs id:a1b2…,c3d4…`).
    Ids(Vec<String>),
}

impl JobSelector {
    /// From the command line: `id:ID[,ID...]`, or a regex on job names.
    pub fn parse(s: &str) -> Result<JobSelector, String> {
        match s.strip_prefix("id:") {
            Some(ids) => JobSelector::ids(ids.split(',').map(str::to_string).collect()),
            None => {
                regex::Regex::new(s).map(JobSelector::Names).map_err(|e| format!("invalid job name regex {s:?}: {e}"))
            }
        }
    }

    fn ids(ids: Vec<String>) -> Result<JobSelector, String> {
        let ids: Vec<String> = ids.into_iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
        // Flink's job ids are 32 hex digits; anything else would select nothing, silently.
        if let Some(bad) = ids.iter().find(|i| i.len() != 32 || !i.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(format!("invalid job id {bad:?}: Flink's job ids are 32 hex digits"));
        }
        if ids.is_empty() {
            return Err("no job id given".into());
        }
        Ok(JobSelector::Ids(ids))
    }

    pub(crate) fn selects(&self, id: &str, name: &str) -> bool {
        match self {
            JobSelector::Names(re) => re.is_match(name),
            JobSelector::Ids(ids) => ids.iter().any(|i| i.eq_ignore_ascii_case(id)),
        }
    }
}

impl PartialEq for JobSelector {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (JobSelector::Names(a), JobSelector::Names(b)) => a.as_str() == b.as_str(),
            (JobSelector::Ids(a), JobSelector::Ids(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for JobSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// As the header names it: the regex, or the ids.
impl fmt::Display for JobSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobSelector::Names(re) => write!(f, "jobs ~ {}", re.as_str()),
            JobSelector::Ids(ids) => write!(f, "job ids {}", ids.join(",")),
        }
    }
}

impl<'de> Deserialize<'de> for JobSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Names(String),
            Ids(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Names(s) => regex::Regex::new(&s)
                .map(JobSelector::Names)
                .map_err(|e| serde::de::Error::custom(format!("invalid job name regex {s:?}: {e}"))),
            Raw::Ids(ids) => JobSelector::ids(ids).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "dfe83ab6fb31684602e34735388b27e1";

    #[test]
    fn names_or_ids() {
        let s = JobSelector::parse("^flinkscope-lab-variant$").unwrap();
        assert!(s.selects(ID, "flinkscope-lab-variant") && !s.selects(ID, "flinkscope-lab-variant-2"));
        let s = JobSelector::parse(&format!("id:{ID}")).unwrap();
        assert!(s.selects(&ID.to_uppercase(), "any name") && !s.selects("0".repeat(32).as_str(), "x"));
        assert!(JobSelector::parse("id:nope").unwrap_err().contains("32 hex digits"));
        assert!(JobSelector::parse("id:").is_err());
        assert!(JobSelector::parse("(").unwrap_err().contains("invalid job name regex"));
    }

    #[test]
    fn from_toml() {
        #[derive(Deserialize)]
        struct T {
            jobs: JobSelector,
        }
        let t: T = toml::from_str(r#"jobs = "^orders-""#).unwrap();
        assert!(t.jobs.selects(ID, "orders-eu"));
        let t: T = toml::from_str(&format!(r#"jobs = ["{ID}"]"#)).unwrap();
        assert_eq!(t.jobs, JobSelector::Ids(vec![ID.into()]));
        assert!(toml::from_str::<T>(r#"jobs = ["short"]"#).is_err());
    }
}
