# Autoscaler scaling schedules from each pool's schedule (variables only, no resources,
# so a test can evaluate these locals with a provider-free terraform plan).
#
# A scaling schedule holds min_required_replicas for duration_sec from each cron start;
# outside every schedule the autoscaler's minimum (0) applies, so runs of 0 instances
# need no schedule. Dated steps become crons on their day and month (GCP crons have no
# year: re-apply or remove them after the horizon).

locals {
  scaling_schedules = {
    for k, p in var.pools : k => concat(
      [for i, s in p.steps : {
        name         = "step-${i}"
        schedule     = formatdate("m H D M '*'", s.start_utc)
        duration_sec = s.hours * 3600
        instances    = s.instances
        description  = "Dated step from ${s.start_utc} for ${s.hours} h"
      } if s.instances > 0 && s.hours > 0],
      [for i, r in p.recurrences : {
        name         = "recurrence-${i}"
        schedule     = r.cron
        duration_sec = r.hours * 3600
        instances    = r.instances
        description  = "Recurring ${r.cron} UTC for ${r.hours} h"
      } if r.instances > 0],
    )
  }

  initial_instances = {
    for k, p in var.pools : k => length(p.steps) > 0 ? p.steps[0].instances : (
      length(p.recurrences) > 0 ? p.recurrences[0].instances : p.instance_count
    )
  }

  spot = { for k, p in var.pools : k => p.purchase == "spot" }
}
