/*
 * For the Wine smoke test only, never shipped: Rust's standard library on Windows takes its
 * random numbers from bcryptprimitives.dll's ProcessPrng, which Windows 10 and 11 have and
 * Wine 8 lacks. This stand-in, placed beside mailtutor.exe under Wine, forwards to
 * RtlGenRandom (advapi32's SystemFunction036).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
