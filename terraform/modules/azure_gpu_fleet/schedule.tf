# Autoscale profiles from each pool's schedule (variables only, no resources, so a test
# can evaluate these locals with a provider-free terraform plan).
#
# Outside every profile the default profile holds 0 instances. A dated step with
# instances becomes a fixed-date profile (start .. start + hours); a recurrence becomes
# a recurring profile on its days at its hour, which holds until the next recurring
# profile starts, so runs of 0 instances get a profile too.

locals {
  autoscale_profiles = {
    for k, p in var.pools : k => concat(
      [for i, s in p.steps : {
        name      = "step-${i}"
        instances = s.instances
        fixed     = true
        start     = s.start_utc
        end       = timeadd(s.start_utc, "${s.hours}h")
        days      = []
        hour      = 0
      } if s.instances > 0 && s.hours > 0],
      [for i, r in p.recurrences : {
        name      = "recurrence-${i}"
        instances = r.instances
        fixed     = false
        start     = null
        end       = null
        days      = r.days
        hour      = r.hour
      }],
    )
  }

  initial_instances = {
    for k, p in var.pools : k => length(p.steps) > 0 ? p.steps[0].instances : (
      length(p.recurrences) > 0 ? p.recurrences[0].instances : p.instance_count
    )
  }

  spot = { for k, p in var.pools : k => p.purchase == "spot" }
}
