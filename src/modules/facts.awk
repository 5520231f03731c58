# The plan's facts (src/modules/facts.ts): reads the raw sections the gather prints and, for every
# wanted line (the `@want` section, one fact line each) that the state proves, prints
# `fleet_ok_N=1`, N being the wanted line's number. It prints nothing else: the caller evals it.
# Sections: @want, @net NS (ip -o -d link; ip -o -4 -N addr, rule, route table all), @ipt NS,
# @sysctl NS, @netns, @wg, @wgips, @wgunit, @pkg, @sha, @stat, @hostfw. NS is `-` for the root namespace.
function emit(line) { if (line in want) print "fleet_ok_" want[line] "=1" }
function refers(i, j) {
  if (vpeer[i] ~ /^if[0-9]+$/) return vns[i] != vns[j] && substr(vpeer[i], 3) == vidx[j]
  return vns[i] == vns[j] && vpeer[i] == vname[j]
}
/^@want$/ { sec = "want"; next }
/^@net / { sec = "net"; ns = $2; next }
/^@ipt / { emit("iptables " $2 " ok"); sec = ""; next }
/^@sysctl / { sec = "sysctl"; ns = $2; next }
/^@netns$/ { sec = "netns"; next }
/^@wg$/ { sec = "wg"; next }
/^@wgips$/ { sec = "wgips"; next }
/^@wgunit$/ { sec = "wgunit"; next }
/^@pkg$/ { sec = "pkg"; next }
/^@sha$/ { sec = "sha"; next }
/^@stat$/ { sec = "stat"; next }
/^@hostfw$/ { sec = "hostfw"; hostfw = 1; next }
sec == "want" { want[$0] = ++nw; next }
sec == "net" && $1 ~ /^[0-9]+:$/ && $2 ~ /:$/ {
  name = substr($2, 1, length($2) - 1); peer = ""
  at = index(name, "@"); if (at) { peer = substr(name, at + 1); name = substr(name, 1, at - 1) }
  mtu = ""; isveth = 0
  for (i = 4; i < NF; i++) { if ($i == "mtu" && mtu == "") mtu = $(i + 1); if ($i == "\\" && $(i + 1) == "veth") isveth = 1 }
  if ($3 ~ /[<,]UP[,>]/) { emit("link " ns " " name " up"); emit("link " ns " " name " up " mtu) }
  if (isveth) { nv++; vns[nv] = ns; vname[nv] = name; vidx[nv] = substr($1, 1, length($1) - 1); vpeer[nv] = peer }
  next
}
sec == "net" && $1 ~ /^[0-9]+:$/ && $3 == "inet" {
  name = $2; at = index(name, "@"); if (at) name = substr(name, 1, at - 1)
  emit("addr " ns " " name " " $4); emit("inet " ns " " name); naddr[ns " " name]++
  next
}
sec == "net" && $1 ~ /^[0-9]+:$/ { $1 = $1; emit("rule " ns " " $0); next }
sec == "net" && NF > 0 {
  s = 1; type = "unicast"
  if ($1 ~ /^[0-9]+$/) { type = $1 == 6 ? "blackhole" : $1 == 7 ? "unreachable" : $1 == 8 ? "prohibit" : "type" $1; s = 2 }
  dest = $s; via = "-"; dev = "-"; table = 254; metric = 0
  for (i = s + 1; i <= NF; i++) {
    if ($i == "nexthop") break
    if ($i == "via") via = $(i + 1); else if ($i == "dev") dev = $(i + 1); else if ($i == "table") table = $(i + 1); else if ($i == "metric") metric = 1
  }
  if (metric || seen[ns " " table " " dest]++) next
  emit("route " ns " " table " " dest " " type " " via " " dev); emit("route " ns " " table " " dest " " type " " via " *")
  next
}
sec == "sysctl" && $2 == "=" { v = ""; for (i = 3; i <= NF; i++) v = v (i > 3 ? " " : "") $i; emit("sysctl " ns " " $1 " " v); next }
sec == "netns" && NF > 0 { emit("netns " $1); next }
sec == "wg" && NF == 2 { emit("wgport " $1 " " $2); wgn[$1] += 0; next }
sec == "wgips" && NF >= 3 { for (i = 3; i <= NF; i++) { emit("wgip " $1 " " $2 " " $i); wgn[$1]++ } next }
sec == "wgunit" && $1 == "-" { nosd = 1; next }
sec == "wgunit" && $1 ~ /^wg-quick@.+\.service$/ { u = substr($1, 10); emit("wgunit " substr(u, 1, length(u) - 8)); next }
sec == "pkg" && NF == 2 && $2 == "ii" { emit("pkg " $1 " ii"); next }
sec == "sha" && NF == 2 { sha[$2] = $1; next }
sec == "hostfw" { if ($0 == "-P INPUT ACCEPT") inputok = 1; else if ($0 == "ENABLED=yes") ufwen = 1; else if ($0 == "ufw-chains") ufwch = 1; next }
sec == "stat" && NF == 5 && $1 ~ /^8[0-9a-f][0-9a-f][0-9a-f]$/ { mode[$5] = $2; own[$5] = $3; grp[$5] = $4; next }
END {
  # ufw is active when it is enabled and its chains are loaded (host-firewall.ts: fleet_ufw_active).
  if (hostfw && !(ufwen && ufwch)) { emit("hostfw ufw-inactive"); if (inputok) emit("hostfw accept") }
  for (i = 1; i <= nv; i++) for (j = 1; j <= nv; j++) if (i != j && refers(i, j) && refers(j, i)) emit("veth " vns[i] " " vname[i] " " vns[j] " " vname[j])
  for (d in wgn) { emit("wgpairs " d " " wgn[d]); if (nosd) emit("wgunit " d) }
  for (d in naddr) emit("addrcount " d " " naddr[d])
  for (p in mode) { if (p in sha) emit("file " p " " sha[p] " " mode[p]); emit("fileowner " p " " own[p]); emit("filegroup " p " " grp[p]) }
}
