/*
 * tests/bench/ns3_hold.cc - the hold model on ns-3's schedulers, for
 * comparison with `fleetsim bench engine`.
 *
 * Owns: nothing of fleetsim. Schedules --pending events at Exp(1 s); each
 * handler reschedules itself at now + Exp(1 s) (ns-3's
 * ExponentialRandomVariable, mean 1 s) until --events handlers have run,
 * then prints events/s over Simulator::Run() (wall time via std::chrono;
 * benchmarks measure wall time by design).
 * Usage: ns3-hold [--scheduler=map|heap|list|priority|calendar]
 *                 [--pending=N] [--events=E]
 */
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <ns3/core-module.h>

using namespace ns3;

namespace
{

uint64_t g_ran = 0;
uint64_t g_limit = 0;
Ptr<ExponentialRandomVariable> g_exp;

void
Hold()
{
    if (++g_ran >= g_limit) {
        Simulator::Stop();
        return;
    }
    Simulator::Schedule(Seconds(g_exp->GetValue()), &Hold);
}

const char *
TypeIdFor(const std::string &name)
{
    if (name == "map")
        return "ns3::MapScheduler";
    if (name == "heap")
        return "ns3::HeapScheduler";
    if (name == "list")
        return "ns3::ListScheduler";
    if (name == "priority")
        return "ns3::PriorityQueueScheduler";
    if (name == "calendar")
        return "ns3::CalendarScheduler";
    return nullptr;
}

} // namespace

int
main(int argc, char *argv[])
{
    std::string scheduler = "heap";
    uint64_t pending = 1000000;
    uint64_t events = 5000000;
    CommandLine cmd(__FILE__);
    cmd.AddValue("scheduler", "map|heap|list|priority|calendar", scheduler);
    cmd.AddValue("pending", "events kept pending", pending);
    cmd.AddValue("events", "handlers to run", events);
    cmd.Parse(argc, argv);
    const char *tid = TypeIdFor(scheduler);
    if (tid == nullptr || pending == 0 || events == 0) {
        std::fprintf(stderr, "ns3-hold: bad --scheduler, --pending or "
                             "--events\n");
        return 2;
    }

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(1);
    ObjectFactory factory;
    factory.SetTypeId(tid);
    Simulator::SetScheduler(factory);
    g_exp = CreateObject<ExponentialRandomVariable>();
    g_exp->SetAttribute("Mean", DoubleValue(1.0));
    g_limit = events;
    for (uint64_t i = 0; i < pending; i++)
        Simulator::Schedule(Seconds(g_exp->GetValue()), &Hold);

    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    auto t1 = std::chrono::steady_clock::now();
    double wall_s = std::chrono::duration<double>(t1 - t0).count();
    Simulator::Destroy();

    std::printf("ns3 scheduler=%s pending=%llu events=%llu wall_s=%.3f "
                "events_per_s=%.0f\n",
                scheduler.c_str(), (unsigned long long)pending,
                (unsigned long long)g_ran, wall_s,
                wall_s > 0 ? (double)g_ran / wall_s : 0.0);
    return 0;
}
