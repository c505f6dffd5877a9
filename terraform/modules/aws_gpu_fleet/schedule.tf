# Scheduled scaling actions from each pool's schedule (variables only, no resources, so a
# test can evaluate these locals with a provider-free terraform plan).

locals {
  # One action per dated step (start_time) or recurrence (cron in UTC), keyed
  # "<workload>/<index>"; each pins min = max = desired = the step's instances.
  scaling_actions = {
    for a in flatten([
      for k, p in var.pools : concat(
        [for i, s in p.steps : {
          key        = "${k}/${i}"
          pool       = k
          index      = i
          start_time = s.start_utc
          recurrence = null
          instances  = s.instances
        }],
        [for i, r in p.recurrences : {
          key        = "${k}/${i}"
          pool       = k
          index      = i
          start_time = null
          recurrence = r.cron
          instances  = r.instances
        }],
      )
    ]) : a.key => a
  }

  # Instances when the group is created: the first action's count (0 when none).
  initial_instances = {
    for k, p in var.pools : k => length(p.steps) > 0 ? p.steps[0].instances : (
      length(p.recurrences) > 0 ? p.recurrences[0].instances : p.instance_count
    )
  }

  spot = { for k, p in var.pools : k => p.purchase == "spot" }
}
