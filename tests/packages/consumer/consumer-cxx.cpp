// SPDX-License-Identifier: GPL-2.0
/*
 * A C++ program built against the installed libuls alone (pkg-config
 * uls): uls.h must compile as C++ and link without more. A std::thread
 * takes its area with uls_area() and the main thread a key; each checks
 * with uls_query() that the module holds its registration.
 *
 * usage: consumer-cxx [SECONDS]
 * With SECONDS, both threads stay that long, waking every 10 ms, for
 * `ulsctl list` and keyread to find; "consumer-cxx: ready" says when.
 */
#include <uls.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

namespace {

const std::string value = "hello from C++";

struct Hints {
	std::uint64_t in_gc;
	std::uint64_t preempted;
};

double hold_s;
std::atomic<int> ready{0};

void hold()
{
	auto end = std::chrono::steady_clock::now() +
		   std::chrono::duration<double>(hold_s);

	while (std::chrono::steady_clock::now() < end)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// The module holds the calling thread's registration, around [p, p + len).
bool registered(const std::string &who, const void *p, std::size_t len)
{
	void *addr;
	std::size_t got;
	int err = uls_query(&addr, &got);

	if (err) {
		std::cerr << "consumer-cxx: " << who << ": uls_query: " << uls_strerror(err) << "\n";
		return false;
	}
	auto b = static_cast<const char *>(addr), q = static_cast<const char *>(p);
	if (q < b || q + len > b + got) {
		std::cerr << "consumer-cxx: " << who << ": not in the registration\n";
		return false;
	}
	std::cout << "consumer-cxx: " << who << ": tid " << gettid() << ", " << got
		  << " bytes registered at " << addr << std::endl;
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	bool area_ok = false;

	if (argc > 1)
		hold_s = std::atof(argv[1]);
	std::cout << "consumer-cxx: built with uls " << ULS_VERSION << ", runs libuls "
		  << uls_version() << ", pid " << getpid() << std::endl;

	uls_key_t key = uls_key_create("pkgtest.cxx", 32);
	if (uls_key_is_err(key)) {
		std::cerr << "consumer-cxx: uls_key_create: " << uls_strerror(uls_key_err(key)) << "\n";
		return 1;
	}
	auto v = static_cast<char *>(uls_key_get(key));
	if (!v) {
		std::cerr << "consumer-cxx: uls_key_get: " << uls_strerror(errno) << "\n";
		return 1;
	}
	std::memcpy(v, value.c_str(), value.size() + 1);
	if (!registered("key pkgtest.cxx", v, 32))
		return 1;

	std::thread t([&area_ok] {
		auto h = static_cast<Hints *>(uls_area(sizeof(Hints)));

		if (!h)
			std::cerr << "consumer-cxx: uls_area: " << uls_strerror(errno) << "\n";
		else if (registered("uls_area", h, sizeof(*h)))
			area_ok = true;
		ready = 1;
		if (area_ok && hold_s > 0)
			hold();
	});
	while (!ready)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	std::cout << "consumer-cxx: ready" << std::endl;
	if (hold_s > 0)
		hold();
	t.join();
	if (!area_ok || value != v)
		return 1;
	std::cout << "consumer-cxx: ok" << std::endl;
	return 0;
}
