//! In-process CTAPHID device (in progress)
