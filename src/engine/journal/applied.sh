# shellcheck shell=sh
# What fleet applied on the host, by role: $J/applied/<role>@<digest>, one line a resource
# (layout.ts; the digest, of the content, lets a deploy rewrite only the roles whose record changes):
#   <id> <task> <title> <flags> <check> <apply> <revert>
# every field base64 but flags (s: secret, r: reachability, '-' between). check, apply and revert
# are the resource's removal (src/engine/removal.ts); they hold no secret.
# Inputs: J, the state directory; E, a temp file (the plan); RUN, the run's directory (the apply).
# shellcheck disable=SC2154,SC2034

# fleet_removals ROLES IDS: for each role of ROLES that has a record, an `applied` marker with its
# digest; for each recorded resource of it whose id is not one of IDS (the run's desired ids,
# base64, space-separated), its removal's check, as a `removal` marker carrying the removal itself.
fleet_removals() {
  for fleet_role in $1; do
    fleet_rec=; for fleet_r in "$J/applied/$fleet_role"@*; do [ -s "$fleet_r" ] && fleet_rec=$fleet_r; done
    [ -n "$fleet_rec" ] || continue
    fleet_mark applied "$fleet_role" "${fleet_rec##*@}"
    while read -r fleet_i fleet_k fleet_t fleet_f fleet_c fleet_a fleet_v; do
      case " $2 " in *" $fleet_i "*) continue ;; esac
      out=$( ( eval "$(printf %s "$fleet_c" | base64 -d)" ) </dev/null 2>"$E"; r=$?; printf .; exit $r ); rc=$?; out=${out%.}
      if [ $rc -gt 1 ]; then err=$(tail -c 2000 "$E" | fleet_field); else err=-; fi
      if [ -z "$out" ]; then o=-; else o=$(printf '%s' "$out" | fleet_field); fi
      fleet_mark removal "$fleet_role" "$fleet_i" "$fleet_k" "$fleet_t" "$fleet_f" "$rc" "$o" "$err" "$fleet_c" "$fleet_a" "$fleet_v"
    done < "$fleet_rec"
  done
}

# fleet_applied_begin: the record as it was before this run, kept in the run (a revert of the run
# puts it back: fleet_applied_restore), then the directory the run writes its roles' records in.
fleet_applied_begin() {
  rm -rf "$RUN/applied.prev" && mkdir -m 700 "$RUN/applied.prev" || return 1
  if [ -d "$J/applied" ]; then cp -p "$J/applied"/* "$RUN/applied.prev"/ 2>/dev/null; fi
  [ -d "$J/applied" ] || mkdir -m 700 "$J/applied"
}

# fleet_applied_restore DIR: a reverted run's roles' records back as they were before it.
fleet_applied_restore() {
  [ -d "$1/applied.prev" ] || return 0
  rm -rf "$J/applied" && mv "$1/applied.prev" "$J/applied"
}

# fleet_undo_recorded ROLES IDS: a teardown's undo of what an earlier deploy applied in ROLES that
# IDS (the desired ids, base64) no longer names: each recorded removal, its backups in a temp
# directory that goes with it; sets fails=1 when one fails (an `undo - fail` marker).
fleet_undo_recorded() {
  for fleet_role in $1; do
    for fleet_rec in "$J/applied/$fleet_role"@*; do [ -s "$fleet_rec" ] || continue
    while read -r fleet_i fleet_k fleet_t fleet_f fleet_c fleet_a fleet_v; do
      case " $2 " in *" $fleet_i "*) continue ;; esac
      fleet_s=$(mktemp -d) || { fails=1; continue; }
      if ( export FLEET_STATE="$fleet_s"; eval "$(printf %s "$fleet_a" | base64 -d)" ) </dev/null >"$E" 2>&1; then :; else
        fails=1; fleet_mark undo - fail "$( { printf '%s: ' "$(printf %s "$fleet_i" | base64 -d)"; tail -c 2000 "$E"; } | fleet_field)"
      fi
      rm -rf "$fleet_s"
    done < "$fleet_rec"
    done
  done
}

# fleet_forget_recorded ROLES: after a clean teardown, the roles' records go.
fleet_forget_recorded() {
  for fleet_role in $1; do rm -f "$J/applied/$fleet_role"@*; done
  rmdir "$J/applied" 2>/dev/null || true
}
