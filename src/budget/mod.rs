// TEMPORARY STUB (lead): the budget helper replaces this module.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::source::BudgetRegions;

#[derive(clap::Args)]
pub struct CheckArgs {
    pub elf: PathBuf,
    #[arg(long)]
    pub budget: PathBuf,
}
#[derive(clap::Args)]
pub struct BlessArgs {
    pub elf: PathBuf,
    #[arg(long)]
    pub budget: PathBuf,
}
#[derive(clap::Args)]
pub struct DiffArgs {
    pub old: PathBuf,
    pub new: PathBuf,
}
pub fn load_regions(path: &Path) -> Result<BudgetRegions, Error> {
    Err(Error::Budget(format!("{}: not implemented", path.display())))
}
pub fn check(_a: &CheckArgs, _o: &mut dyn Write) -> Result<i32, Error> {
    Err(Error::Usage("not implemented".into()))
}
pub fn bless(_a: &BlessArgs, _o: &mut dyn Write) -> Result<i32, Error> {
    Err(Error::Usage("not implemented".into()))
}
pub fn diff(_a: &DiffArgs, _o: &mut dyn Write) -> Result<i32, Error> {
    Err(Error::Usage("not implemented".into()))
}
